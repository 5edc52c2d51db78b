import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from attachments.models import Attachment
from attachments.services import attachment_delete, attachments_add
from tests.attachments.conftest import png, png_bytes, stored_files, text_file
from tests.factories import TicketFactory, UserFactory
from toolkit.services import ticket_add_clarification

pytestmark = pytest.mark.django_db


def fetch(client, url):
    """GET a file view with its streamed body read to the end, which closes the file (the test client
    closes a streamed response once it is read; closing it again would close the database connection)."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _upload_url(ticket):
    return reverse("attachments:ticket_upload", kwargs={"number": ticket.number})


@pytest.fixture
def files(ticket, engineer):
    image, log = attachments_add(ticket=ticket, files=[png("屏幕截图.png"), text_file()], by=engineer)
    return image, log


def test_engineer_and_manager_download_with_safe_headers(client, files, engineer, manager):
    image, log = files
    for user in (engineer, manager):
        client.force_login(user)
        response, body = fetch(client, image.get_absolute_url())
        assert response.status_code == 200
        assert body == png_bytes()
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]

        response, _body = fetch(client, log.get_absolute_url())
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "text/plain"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_non_ascii_name_is_kept_in_the_download(engineer_client, files):
    image, _log = files
    response, _body = fetch(engineer_client, image.get_absolute_url())
    assert "filename*=utf-8''%E5%B1%8F%E5%B9%95%E6%88%AA%E5%9B%BE.png" in response["Content-Disposition"]


def test_bmp_and_pdf_are_never_inline(engineer_client, ticket, engineer):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    bmp, pdf = attachments_add(
        ticket=ticket,
        files=[
            SimpleUploadedFile("a.bmp", buffer.getvalue()),
            SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
        ],
        by=engineer,
    )
    for attachment in (bmp, pdf):
        response, _body = fetch(engineer_client, attachment.get_absolute_url())
        assert response["Content-Disposition"].startswith("attachment"), attachment.content_type_detected


def test_anonymous_is_sent_to_login_and_a_user_without_role_is_refused(client, files, no_role_user):
    image, _log = files
    response = client.get(image.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(no_role_user)
    assert client.get(image.get_absolute_url()).status_code == 403
    assert client.get(reverse("attachments:thumbnail", kwargs={"pk": image.pk})).status_code == 403


def test_files_are_not_under_a_public_url(client, files, settings):
    image, _log = files
    assert not image.file.name.startswith("/")
    # MEDIA_URL is not routed: the stored name cannot be fetched directly, signed in or not.
    assert client.get(settings.MEDIA_URL + image.file.name).status_code in (302, 404)


def test_unknown_attachment_is_404(engineer_client):
    assert engineer_client.get(reverse("attachments:download", kwargs={"pk": 999999})).status_code == 404


def test_thumbnail_is_made_once_and_kept(engineer_client, files, media):
    image, log = files
    url = reverse("attachments:thumbnail", kwargs={"pk": image.pk})
    response, body = fetch(engineer_client, url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    thumb = Image.open(io.BytesIO(body))
    assert thumb.format == "WEBP" and max(thumb.size) <= 320
    image.refresh_from_db()
    assert image.thumbnail
    count = len(stored_files(media))
    fetch(engineer_client, url)
    assert len(stored_files(media)) == count == 3
    assert engineer_client.get(reverse("attachments:thumbnail", kwargs={"pk": log.pk})).status_code == 404


def test_ticket_page_shows_the_card_in_constant_queries(
    engineer_client, ticket, engineer, django_assert_max_num_queries
):
    url = ticket.get_absolute_url()
    engineer_client.get(url)  # warm caches (content types, permissions)

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = engineer_client.get(url)
        assert response.status_code == 200
        return len(captured), response

    base, _ = queries()
    clarification = ticket_add_clarification(ticket=ticket, text="截图见附件", by=engineer)
    attachments_add(ticket=ticket, files=[png() for _ in range(5)], by=engineer)
    attachments_add(ticket=ticket, files=[text_file(), png()], by=engineer, target=clarification)
    [gone] = attachments_add(ticket=ticket, files=[text_file("old.log")], by=engineer)
    attachment_delete(attachment=gone, by=engineer, reason="过期日志")
    with_files, response = queries()
    html = response.content.decode()
    assert 'id="attachments-card"' in html
    assert html.count('class="attach-thumb"') == 6
    assert "old.log" in html and "过期日志" in html
    # The clarification adds its own (one) query to the page; the card's files one more at most.
    assert with_files <= base + 3


def test_upload_through_the_page_without_javascript(engineer_client, ticket, media):
    response = engineer_client.post(_upload_url(ticket), {"files": [png(), text_file()]})
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert Attachment.objects.filter(ticket=ticket).count() == 2
    assert len(stored_files(media)) == 2


def test_upload_with_htmx_answers_the_card(engineer_client, ticket):
    response = engineer_client.post(_upload_url(ticket), {"files": [png()]}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="card mb-3" id="attachments-card">')
    assert "screenshot.png" in html


def test_refused_upload_says_why_and_writes_nothing(engineer_client, ticket, media, settings):
    settings.LANGUAGE_CODE = "en"
    engineer_client.cookies["django_language"] = "en"
    program = SimpleUploadedFile("setup.png", b"MZ\x90\x00" + b"\x00" * 300)
    response = engineer_client.post(
        _upload_url(ticket), {"files": [png(), program]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "“setup.png” cannot be attached" in response.content.decode()
    assert Attachment.objects.count() == 0 and stored_files(media) == []

    settings.ATTACHMENT_MAX_BYTES = 100
    response = engineer_client.post(_upload_url(ticket), {"files": [png()]}, headers={"HX-Request": "true"})
    assert "a file may be at most 100" in response.content.decode()
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_refusal_is_in_chinese_by_default(engineer_client, ticket):
    program = SimpleUploadedFile("setup.png", b"MZ\x90\x00" + b"\x00" * 300)
    response = engineer_client.post(_upload_url(ticket), {"files": [program]}, headers={"HX-Request": "true"})
    assert "不能作为附件" in response.content.decode()


def test_user_without_role_cannot_upload(client, no_role_user, ticket, media):
    client.force_login(no_role_user)
    assert client.post(_upload_url(ticket), {"files": [png()]}).status_code == 403
    assert stored_files(media) == []


def test_delete_needs_post_and_a_reason_and_is_shown(
    engineer_client, files, media, django_capture_on_commit_callbacks
):
    image, _log = files
    url = reverse("attachments:delete", kwargs={"pk": image.pk})
    assert engineer_client.get(url).status_code == 405
    engineer_client.post(url, {"reason": ""})
    image.refresh_from_db()
    assert not image.is_deleted

    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post(
            url, {"reason": "客户要求删除", "card": "1"}, headers={"HX-Request": "true"}
        )
    image.refresh_from_db()
    assert image.is_deleted and image.delete_reason == "客户要求删除"
    assert "客户要求删除" in response.content.decode()
    assert engineer_client.get(image.get_absolute_url()).status_code == 410
    assert len(stored_files(media)) == 1


def test_another_engineer_cannot_delete_someone_elses_file(client, files):
    image, _log = files
    client.force_login(UserFactory(role="engineer"))
    response = client.post(reverse("attachments:delete", kwargs={"pk": image.pk}), {"reason": "x"})
    assert response.status_code == 403
    image.refresh_from_db()
    assert not image.is_deleted


def test_files_of_another_ticket_are_the_same_rule(engineer_client, engineer):
    # No per-ticket visibility exists yet: whoever may view tickets sees every ticket's files.
    other = TicketFactory()
    [attachment] = attachments_add(ticket=other, files=[png()], by=other.owner)
    assert fetch(engineer_client, attachment.get_absolute_url())[0].status_code == 200


def test_admin_lists_attachments_read_only(client, files, db):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.get(reverse("admin:attachments_attachment_changelist"))
    assert response.status_code == 200 and "屏幕截图.png" in response.content.decode()
    image, _log = files
    assert client.get(reverse("admin:attachments_attachment_delete", args=[image.pk])).status_code == 403


def test_list_links_are_the_views_urls(engineer_client, files, ticket):
    html = engineer_client.get(ticket.get_absolute_url()).content.decode()
    for attachment in files:
        assert f'href="{reverse("attachments:download", kwargs={"pk": attachment.pk})}"' in html
        assert f'action="{reverse("attachments:delete", kwargs={"pk": attachment.pk})}"' in html
    image = files[0]
    assert f'src="{reverse("attachments:thumbnail", kwargs={"pk": image.pk})}"' in html


def test_no_thumbnail_for_an_image_bomb(engineer_client, ticket, engineer, media):
    # 400 million pixels in a few kilobytes: Pillow refuses to decode it, the page shows no thumbnail.
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG", optimize=True)
    [bomb] = attachments_add(
        ticket=ticket, files=[SimpleUploadedFile("bomb.png", buffer.getvalue())], by=engineer
    )
    response, _body = fetch(engineer_client, reverse("attachments:thumbnail", kwargs={"pk": bomb.pk}))
    assert response.status_code == 404
    bomb.refresh_from_db()
    assert bomb.thumbnail == "" and len(stored_files(media)) == 1


def test_upload_without_files_is_refused_to_a_user_without_role(client, no_role_user, ticket):
    client.force_login(no_role_user)
    assert client.post(_upload_url(ticket)).status_code == 403


def test_delete_from_a_fragment_goes_back_to_the_ticket(engineer_client, files, ticket):
    image, _log = files
    html = engineer_client.post(_upload_url(ticket), {"files": [png()]}, headers={"HX-Request": "true"})
    assert 'name="next"' not in html.content.decode()  # a fragment's URL is no page to return to
    delete_url = reverse("attachments:delete", kwargs={"pk": image.pk})
    response = engineer_client.post(delete_url, {"reason": "重复"})
    assert response["Location"] == ticket.get_absolute_url()
    page = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert f'name="next" value="{ticket.get_absolute_url()}"' in page


def test_card_shows_the_newest_files_and_the_rest_on_request(engineer_client, ticket, engineer, client):
    attachments_add(ticket=ticket, files=[text_file(f"log{i:02}.log") for i in range(15)], by=engineer)
    html = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert html.count('class="attach-item') == 12 and "log14.log" in html and "log02.log" not in html
    assert "显示全部 15 个文件" in html

    url = reverse("attachments:ticket_files", kwargs={"number": ticket.number})
    card = engineer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert card.startswith('<section class="card mb-3" id="attachments-card">')
    assert card.count('class="attach-item') == 15 and "attachments-show-all" not in card
    page = engineer_client.get(url)
    assert page.status_code == 200 and page.content.decode().count('class="attach-item') == 15

    client.force_login(UserFactory(username="nobody"))
    assert client.get(url).status_code == 403
