"""Admin pages of job runs and webhooks: visible runs, a secret shown once, redelivery actions."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

from mdm.feed.events import write_events
from mdm.feed.webhooks import create_subscription, deliver_subscription
from mdm.jobs.runs import finish_job, plan_chunks, record_chunk_done, start_job
from mdm.models import Event, JobRun, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

SECRET = "a-very-secret-signing-key-1234567"


@pytest.fixture
def admin_browser() -> Client:
    user = get_user_model().objects.create_superuser("root", password="correct horse battery")
    browser = Client()
    browser.force_login(user)
    return browser


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_job_run_shows_its_progress_counts_and_log(admin_browser):
    run = start_job("match", "customers")
    plan_chunks(run.pk, ["a", "b"])
    record_chunk_done(run.pk, {"pairs_scored": 1234}, chunk="a")
    record_chunk_done(run.pk, {"pairs_scored": 766}, chunk="b")
    finish_job(run.pk, counts={"golden_merged": 7})

    listing = admin_browser.get("/admin/mdm/jobrun/").content.decode()
    page = html.unescape(admin_browser.get(f"/admin/mdm/jobrun/{run.pk}/change/").content.decode())

    assert "2/2" in listing and "成功" in listing
    assert '"pairs_scored": 2000' in page and '"golden_merged": 7' in page
    assert "finished" in page
    assert admin_browser.get("/admin/mdm/jobrun/add/").status_code == 403


def test_a_generated_secret_is_shown_once_and_never_again(admin_browser, erp):
    response = admin_browser.post(
        "/admin/mdm/webhooksubscription/add/",
        {
            "system": erp.system.pk,
            "url": "https://erp.example.com/hooks/mdm",
            "entities": ["customers", "products"],
            "is_active": "on",
            "new_secret": "",
            "start_after": "0",
        },
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    shown = [m for m in _messages(response) if subscription.secret in m]
    assert len(shown) == 1 and "仅显示这一次" in shown[0]
    assert subscription.entities == ["customers", "products"]
    assert subscription.history.get().history_user.username == "root"
    for path in ("", f"{subscription.pk}/change/", f"{subscription.pk}/history/"):
        page = admin_browser.get(f"/admin/mdm/webhooksubscription/{path}").content.decode()
        assert subscription.secret not in page, path


def test_a_typed_secret_is_stored_and_not_echoed(admin_browser, erp):
    response = admin_browser.post(
        "/admin/mdm/webhooksubscription/add/",
        {
            "system": erp.system.pk,
            "url": "https://erp.example.com/hooks/mdm",
            "is_active": "on",
            "new_secret": SECRET,
            "start_after": "0",
        },
        follow=True,
    )

    assert WebhookSubscription.objects.get().secret == SECRET
    assert SECRET not in response.content.decode()
    assert not any(SECRET in m for m in _messages(response))


def test_a_subscription_url_must_be_http(admin_browser, erp):
    response = admin_browser.post(
        "/admin/mdm/webhooksubscription/add/",
        {"system": erp.system.pk, "url": "ftp://erp.example.com/x", "start_after": "0"},
    )

    assert response.status_code == 200
    assert WebhookSubscription.objects.count() == 0


def test_editing_a_subscription_keeps_its_secret(admin_browser, erp):
    subscription, secret = create_subscription(
        system=erp.system, url="https://erp.example.com/a", secret=SECRET
    )

    admin_browser.post(
        f"/admin/mdm/webhooksubscription/{subscription.pk}/change/",
        {"system": erp.system.pk, "url": "https://erp.example.com/b", "entities": ["materials"]},
    )

    subscription.refresh_from_db()
    assert (subscription.url, subscription.entities) == ("https://erp.example.com/b", ["materials"])
    assert subscription.secret == SECRET and subscription.is_active is False


def test_rotating_the_secret_shows_the_new_one_once(admin_browser, erp):
    subscription, _ = create_subscription(
        system=erp.system, url="https://erp.example.com/a", secret=SECRET
    )

    response = admin_browser.post(
        "/admin/mdm/webhooksubscription/",
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
        follow=True,
    )

    subscription.refresh_from_db()
    assert subscription.secret != SECRET
    assert sum(subscription.secret in m for m in _messages(response)) == 1
    assert subscription.history.first().history_change_reason == "secret rotated"


def test_redeliver_from_seq_moves_the_cursor_back(admin_browser, erp):
    subscription, _ = create_subscription(
        system=erp.system, url="https://erp.example.com/a", start_after=500
    )

    admin_browser.post(
        "/admin/mdm/webhooksubscription/",
        {"action": "redeliver_from_seq", "seq": "120", "_selected_action": [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert subscription.cursor == 119
    assert subscription.history.first().history_user.username == "root"


def test_redeliver_without_a_seq_changes_nothing(admin_browser, erp):
    subscription, _ = create_subscription(
        system=erp.system, url="https://erp.example.com/a", start_after=500
    )

    response = admin_browser.post(
        "/admin/mdm/webhooksubscription/",
        {"action": "redeliver_from_seq", "seq": "", "_selected_action": [subscription.pk]},
        follow=True,
    )

    assert any("请填写序号" in m for m in _messages(response))
    assert WebhookSubscription.objects.get().cursor == 500


def test_a_dead_letter_is_listed_and_redelivered_from_the_admin(
    admin_browser, erp, receiver, settings
):
    settings.MDM_WEBHOOK_MAX_ATTEMPTS = 1
    subscription, _ = create_subscription(system=erp.system, url=receiver.url, start_after=0)
    write_events([Event(entity="customers", golden_code="CU1", kind="created")])
    receiver.script = [500]
    deliver_subscription(subscription.pk)
    dead = WebhookDelivery.objects.get(status="dead")

    listing = admin_browser.get("/admin/mdm/webhookdelivery/", {"status": "dead"})
    admin_browser.post(
        "/admin/mdm/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [dead.pk]},
    )
    deliver_subscription(subscription.pk)

    assert listing.status_code == 200 and f">{dead.pk}<" in listing.content.decode()
    dead.refresh_from_db()
    assert dead.status == "delivered"
    assert WebhookSubscription.objects.get().cursor == dead.event_id
    assert JobRun.objects.count() == 0
