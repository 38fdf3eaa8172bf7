"""URLs of the staff web pages, mounted at /."""

urlpatterns = []
