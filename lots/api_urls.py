"""API routes of lots and batches (mounted under /api/ by hardfin.api_urls)."""

from rest_framework.routers import SimpleRouter

from .api import BatchViewSet, LotViewSet

router = SimpleRouter()
router.register("lots", LotViewSet, basename="lot")
router.register("batches", BatchViewSet, basename="batch")

urlpatterns = router.urls
