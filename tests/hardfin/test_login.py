"""Signing in through the HTML pages (/accounts/login/ and the admin's): failed attempts are
throttled per account and per address (40 wrong passwords once all answered 200), and
password reset is offered only when an email server is configured."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests.browser.conftest import PASSWORD
from tests.pages_support import text

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]
LOCKED = "Too many failed sign-ins for this account or from this address. Try again in 15 minutes."
LIMIT = 10


def sign_in(client, page, username, password, address="192.0.2.10"):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_failed_sign_ins_lock_the_account(client, manager, page):
    statuses = [sign_in(client, page, "manny", "guess").status_code for _ in range(LIMIT - 1)]
    assert statuses == [200] * (LIMIT - 1)  # the form again, "please enter a correct username…"

    locked = sign_in(client, page, "manny", "guess")

    assert locked.status_code == 429
    assert LOCKED in text(locked)
    # The right password does not get in while the lock lasts, from any address.
    again = sign_in(client, page, "manny", PASSWORD, address="198.51.100.7")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_failed_sign_ins_lock_the_address(client, manager, accountant, page):
    for number in range(LIMIT):
        sign_in(client, page, f"someone-{number}", "guess")

    assert sign_in(client, page, "manny", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # The same person from another address is not locked out.
    elsewhere = sign_in(client, page, "manny", PASSWORD, address="198.51.100.7")
    assert elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_other_accounts_from_other_addresses_are_not_locked(client, manager, accountant):
    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", "manny", "guess")

    response = sign_in(client, "/accounts/login/", "ada", PASSWORD, address="198.51.100.7")

    assert response.status_code == 302
    assert response["Location"] == "/inventory/"


def test_the_lock_ends_after_the_cool_off(client, manager):
    from axes.models import AccessAttempt

    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", "manny", "guess")
    assert sign_in(client, "/accounts/login/", "manny", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert sign_in(client, "/accounts/login/", "manny", PASSWORD).status_code == 302


def test_a_successful_sign_in_forgets_earlier_failures(client, manager):
    for _ in range(LIMIT - 1):
        sign_in(client, "/accounts/login/", "manny", "guess")
    assert sign_in(client, "/accounts/login/", "manny", PASSWORD).status_code == 302
    client.logout()

    assert sign_in(client, "/accounts/login/", "manny", "guess").status_code == 200


def test_behind_proxies_the_address_is_the_one_they_saw(client, manager, settings):
    """With PROXY_COUNT=1 the client's address is the last X-Forwarded-For entry (what the
    proxy saw); entries a client wrote itself before it are not believed."""
    settings.HARDFIN_PROXY_COUNT = 1
    for number in range(LIMIT):
        client.post("/accounts/login/", {"username": f"someone-{number}", "password": "guess"},
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}, 192.0.2.10")

    from_attacker = client.post("/accounts/login/", {"username": "manny", "password": PASSWORD},
                                REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10")
    from_colleague = client.post("/accounts/login/", {"username": "manny", "password": PASSWORD},
                                 REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert from_attacker.status_code == 429
    assert from_colleague.status_code == 302


# --- password reset ------------------------------------------------------------------------------

RESET_PAGES = ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/",
               "/accounts/reset/MQ/set-password/"]


@pytest.mark.parametrize("path", RESET_PAGES)
def test_without_email_there_is_no_password_reset(client, db, path):
    assert client.get(path).status_code == 404


def test_without_email_the_sign_in_page_offers_no_reset(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert "password_reset" not in page
    assert "Forgot" not in page


def test_without_email_posting_a_reset_sends_nothing(client, manager):
    response = client.post("/accounts/password_reset/", {"email": manager.email or "manny@example.com"})

    assert response.status_code == 404
    assert mail.outbox == []


def test_with_email_the_reset_is_offered_and_mails_a_link(client, manager, settings):
    settings.HARDFIN_PASSWORD_RESET = True
    manager.email = "manny@example.com"
    manager.save()

    login = client.get("/accounts/login/")
    assert 'href="/accounts/password_reset/"' in login.content.decode()
    response = client.post("/accounts/password_reset/", {"email": "manny@example.com"})

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["manny@example.com"]
    assert "/accounts/reset/" in message.body


# --- the API's token endpoint shares the count --------------------------------------------------

def test_a_locked_account_gets_no_api_token(client, manager):
    from rest_framework.test import APIClient

    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", "manny", "guess")

    response = APIClient().post("/api/auth/token/", {"username": "manny", "password": PASSWORD},
                                format="json", REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 400
    assert "token" not in response.json()


def test_failed_api_token_requests_lock_the_sign_in_page_too(client, manager):
    from rest_framework.test import APIClient

    api = APIClient()
    for _ in range(LIMIT):
        assert api.post("/api/auth/token/", {"username": "manny", "password": "guess"}, format="json",
                        REMOTE_ADDR="192.0.2.10").status_code == 400

    assert sign_in(client, "/accounts/login/", "manny", PASSWORD, address="198.51.100.7").status_code == 429
