"""The Idempotency-Key header on writes: a retried request gets the first response and
records nothing new; a reused key is refused; concurrent requests with one key record one
movement."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from hardfin.models import IdempotencyKey
from inventory.models import Item
from movements import api as movements_api
from movements.models import Movement
from tests.api_support import api, client_for  # noqa: F401  (api is a fixture)
from tests.factories import UserFactory
from tests.helpers import snapshot
from tests.stock import receive

TRANSFER = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "25"}


def key(value):
    return {"HTTP_IDEMPOTENCY_KEY": value}


def test_a_replay_gets_the_first_response_and_records_nothing(api, operator, ldr_100_at_chicago):
    client = api(operator)
    first = client.post("/api/transfers/", TRANSFER, **key("transfer-0001"))
    after_first = snapshot()

    again = client.post("/api/transfers/", TRANSFER, **key("transfer-0001"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert snapshot() == after_first
    assert Movement.objects.filter(kind="transfer").count() == 1


def test_the_body_may_be_spaced_and_ordered_differently(api, operator, ldr_100_at_chicago):
    client = api(operator)
    client.post("/api/transfers/", TRANSFER, **key("k-1"))

    again = client.generic("POST", "/api/transfers/", '{ "quantity":"25",\n "to_location": "MKE", '
                           '"from_location": "CHI", "sku": "LDR-4.1"}', content_type="application/json",
                           **key("k-1"))

    assert again.status_code == 201
    assert Movement.objects.filter(kind="transfer").count() == 1


@pytest.mark.parametrize(
    "path, body",
    [("/api/transfers/", {**TRANSFER, "quantity": "26"}),
     ("/api/replacements/", {"sku": "LDR-4.1", "location": "CHI", "quantity": "25", "asset": "T-1"})],
    ids=["other-body", "other-path"],
)
def test_the_same_key_for_another_request_is_a_422(api, operator, ldr_100_at_chicago, path, body):
    client = api(operator)
    client.post("/api/transfers/", TRANSFER, **key("k-1"))
    before = snapshot()

    response = client.post(path, body, **key("k-1"))

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "detail": "This Idempotency-Key was already used for a different request; send a new key for a new action.",
    }
    assert snapshot() == before


def test_keys_belong_to_one_user(api, operator, manager, ldr_100_at_chicago):
    assert api(operator).post("/api/transfers/", TRANSFER, **key("k-1")).status_code == 201
    second = api(manager).post("/api/transfers/", TRANSFER, **key("k-1"))

    assert second.status_code == 201
    assert not second.has_header("Idempotent-Replayed")
    assert Movement.objects.filter(kind="transfer").count() == 2


def test_without_a_key_every_request_is_a_new_action(api, operator, ldr_100_at_chicago):
    client = api(operator)
    client.post("/api/transfers/", TRANSFER)
    client.post("/api/transfers/", TRANSFER)

    assert Movement.objects.filter(kind="transfer").count() == 2


@pytest.mark.parametrize("value", ["", "x" * 256, "caf\xe9", "tab\there"], ids=["empty", "too-long", "non-ascii",
                                                                             "control"])
def test_a_malformed_key_is_a_400(api, operator, ldr_100_at_chicago, value):
    before = snapshot()

    response = api(operator).post("/api/transfers/", TRANSFER, **key(value))

    assert response.status_code == 400
    assert response.json()["idempotency_key"] == [
        "The Idempotency-Key header must be 1 to 255 printable ASCII characters."]
    assert snapshot() == before


def test_a_conflict_is_replayed_too(api, operator, item, ldr_100_at_chicago, chicago, supplier):
    client = api(operator)
    body = {**TRANSFER, "quantity": "150"}
    first = client.post("/api/transfers/", body, **key("k-409"))
    receive(item, chicago, "100", supplier=supplier, user=operator)
    before = snapshot()

    again = client.post("/api/transfers/", body, **key("k-409"))

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert first.json()["code"] == "insufficient_stock"
    assert snapshot() == before


def test_catalog_writes_take_keys_too(api, manager):
    client = api(manager)
    created = [client.post("/api/items/", {"sku": "NEW-1", "name": "New"}, **key("item-1")) for _ in range(2)]
    deleted = [client.delete("/api/items/NEW-1/", **key("item-1-delete")) for _ in range(2)]

    assert [r.status_code for r in created] == [201, 201]
    assert created[1].json() == created[0].json()
    assert [r.status_code for r in deleted] == [204, 204]
    assert not Item.objects.exists()


def test_a_crashed_first_attempt_leaves_the_key_free_to_retry(api, operator, ldr_100_at_chicago, monkeypatch):
    client = api(operator)
    client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setattr(movements_api.services, "transfer_create", crash)
        assert client.post("/api/transfers/", TRANSFER, **key("k-1")).status_code == 500
    assert IdempotencyKey.objects.get().status_code is None

    response = client.post("/api/transfers/", TRANSFER, **key("k-1"))

    assert response.status_code == 201
    assert Movement.objects.filter(kind="transfer").count() == 1


def crash(**kwargs):
    raise RuntimeError("the server fell over")


def test_keys_expire_after_24_hours(api, operator, ldr_100_at_chicago):
    client = api(operator)
    client.post("/api/transfers/", TRANSFER, **key("k-1"))
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))

    response = client.post("/api/transfers/", {**TRANSFER, "quantity": "5"}, **key("k-1"))

    assert response.status_code == 201
    assert response.json()["quantity"] == "5"
    assert IdempotencyKey.objects.get().fingerprint != ""


def test_keys_are_kept_for_24_hours(api, operator, ldr_100_at_chicago):
    client = api(operator)
    client.post("/api/transfers/", TRANSFER, **key("k-1"))
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))

    assert client.post("/api/transfers/", {**TRANSFER, "quantity": "5"}, **key("k-1")).status_code == 422


# --- the database stays busy: 503, and the key is not used up ------------------------------------------

def locked(pairs):
    raise OperationalError("database is locked")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("with_key", [True, False])
def test_busy_database_is_a_503_and_the_key_stays_free(api, operator, ldr_100_at_chicago, monkeypatch, with_key):
    monkeypatch.setattr("hardfin.db.time.sleep", lambda seconds: None)
    headers = key("k-busy") if with_key else {}
    client = api(operator)
    before = snapshot()
    with monkeypatch.context() as patch:
        # Every attempt fails to lock the stock levels, as if another writer held them.
        patch.setattr("movements.ledger._stock_levels_lock", locked)
        response = client.post("/api/transfers/", TRANSFER, **headers)

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {"code": "busy", "detail": "The database is busy; please try again."}
    assert snapshot() == before
    assert client.post("/api/transfers/", TRANSFER, **headers).status_code == 201


# --- concurrency (PostgreSQL: real row locks) ------------------------------------------------------

def in_thread(results, index, user, body, idempotency_key, started=None):
    try:
        if started is not None:
            started.wait(timeout=10)
        response = client_for(user).post("/api/transfers/", body, **key(idempotency_key))
        results[index] = (response.status_code, response.json())
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_record_one_movement(operator, ldr_100_at_chicago):
    body = {**TRANSFER, "quantity": "10"}
    for round_number in range(5):
        start = threading.Event()
        results = [None, None]
        threads = [threading.Thread(target=in_thread, args=(results, index, operator, body,
                                                           f"race-{round_number}", start))
                   for index in range(2)]
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join(timeout=30)

        statuses = sorted(status for status, _ in results)
        assert statuses in ([201, 201], [201, 409]), results
        for status, answer in results:
            if status == 409:
                assert answer["code"] == "idempotency_key_in_use"
    assert Movement.objects.filter(kind="transfer").count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_key_whose_first_request_is_running_is_a_409(operator, ldr_100_at_chicago, monkeypatch):
    inside, release = threading.Event(), threading.Event()
    real_transfer = movements_api.services.transfer_create

    def slow_transfer(**kwargs):
        movement = real_transfer(**kwargs)
        inside.set()
        release.wait(timeout=10)
        return movement

    monkeypatch.setattr(movements_api.services, "transfer_create", slow_transfer)
    results = [None]
    first = threading.Thread(target=in_thread, args=(results, 0, operator, TRANSFER, "slow"))
    first.start()
    assert inside.wait(timeout=10)
    try:
        second = client_for(operator).post("/api/transfers/", TRANSFER, **key("slow"))
        reused = client_for(operator).post("/api/transfers/", {**TRANSFER, "quantity": "1"}, **key("slow"))
    finally:
        release.set()
        first.join(timeout=30)

    assert second.status_code == 409
    assert second.json() == {"code": "idempotency_key_in_use",
                             "detail": "A request with this Idempotency-Key is still running; try again shortly."}
    assert reused.status_code == 422
    assert results[0][0] == 201
    replay = client_for(operator).post("/api/transfers/", TRANSFER, **key("slow"))
    assert (replay.status_code, replay.json()) == (201, results[0][1])
    assert Movement.objects.filter(kind="transfer").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_different_users_with_the_same_key_do_not_wait_for_each_other(operator, ldr_100_at_chicago):
    other = UserFactory(groups=["Operators"])
    results = [None, None]
    threads = [threading.Thread(target=in_thread, args=(results, index, user, {**TRANSFER, "quantity": "10"},
                                                       "shared-key"))
               for index, user in enumerate([operator, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [status for status, _ in results] == [201, 201]
    assert Movement.objects.filter(kind="transfer").count() == 2
