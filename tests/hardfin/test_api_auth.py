"""Authentication, error bodies every client can rely on, and throttling."""

import pytest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from tests.api_support import api  # noqa: F401  (fixture)
from tests.factories import UserFactory
from tests.helpers import snapshot

PASSWORD = "correct-horse-battery"


def test_token_for_username_and_password(api, operator):
    response = api().post("/api/auth/token/", {"username": "olivia", "password": PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=operator).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/items/").status_code == 200


@pytest.mark.parametrize("body", [{"username": "olivia", "password": "wrong"}, {"username": "olivia"}, {}])
def test_token_refused_without_the_right_password(api, operator, body):
    response = api().post("/api/auth/token/", body)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Token.objects.exists()


def test_no_credentials_is_a_401_with_a_challenge(api, item):
    response = api().get("/api/items/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_unknown_token_is_a_401(api, item):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get("/api/items/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_deactivated_users_token_stops_working(api, operator):
    client = api(operator)
    operator.is_active = False
    operator.save()

    assert client.get("/api/items/").status_code == 401


def test_no_group_is_a_403(api, nobody, item):
    response = api(nobody).get("/api/items/")

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_session_auth_enforces_csrf(api, operator, item, chicago, milwaukee, supplier):
    client = APIClient(enforce_csrf_checks=True)
    # Sign-in counts failed attempts by request (django-axes), so the login gets one.
    client.login(request=RequestFactory().post("/accounts/login/"), username="olivia", password=PASSWORD)
    body = {"supplier": "ACME", "location": "CHI", "po_number": "PO-1", "lines": [{"sku": "LDR-4.1", "quantity": "1"}]}
    assert client.get("/api/items/").status_code == 200
    before = snapshot()

    refused = client.post("/api/receipts/", body)

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    assert snapshot() == before
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    assert client.post("/api/receipts/", body, HTTP_X_CSRFTOKEN=secret).status_code == 201


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/items", "/api/items/LDR 4.1/", "/api/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_are_a_json_404(api, operator, path, method):
    response = getattr(api(operator), method)(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_throttled_requests_get_a_429(api, operator, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/minute")
    client = api(operator)

    assert [client.get("/api/items/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/items/")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {"code": "throttled",
                               "detail": "Request was throttled. Expected available in 60 seconds."}
    # Counted per user: someone else is not slowed down.
    assert api(UserFactory(groups=["Operators"])).get("/api/items/").status_code == 200


def test_password_guessing_is_throttled(api, operator):
    client = api()
    statuses = [client.post("/api/auth/token/", {"username": "olivia", "password": "guess"}).status_code
                for _ in range(31)]

    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
