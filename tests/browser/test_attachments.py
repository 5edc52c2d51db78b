"""Attachments in a real browser: paste a screenshot and drop a file on the ticket page's upload,
preview the image, delete with a reason, and paste a screenshot into a reply (the conversation card)."""

import re

import pytest
from playwright.sync_api import expect

from attachments.models import Attachment
from tests.factories import TicketFactory

pytestmark = pytest.mark.browser

# Draw a real PNG on a canvas and hand it to the page as the clipboard or a drop would: the browser
# itself makes the File and the event, the app's attachments.js does the rest.
MAKE_IMAGE = """
async ([selector, kind]) => {
  const canvas = document.createElement("canvas");
  canvas.width = 320; canvas.height = 200;
  const g = canvas.getContext("2d");
  g.fillStyle = "#c33"; g.fillRect(0, 0, 320, 200);
  g.fillStyle = "#fff"; g.font = "28px sans-serif"; g.fillText("Error 500", 60, 110);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const transfer = new DataTransfer();
  const name = kind === "paste" ? "image.png" : "错误截图.png";
  transfer.items.add(new File([blob], name, { type: "image/png" }));
  const target = document.querySelector(selector);
  if (kind === "paste") {
    target.focus();
    const init = { clipboardData: transfer, bubbles: true, cancelable: true };
    target.dispatchEvent(new ClipboardEvent("paste", init));
  } else {
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }
}
"""


@pytest.fixture
def ticket(engineer):
    return TicketFactory(owner=engineer, recorded_by=engineer)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_paste_and_drop_on_the_ticket_page_then_preview_and_delete(
    page, log_in, screenshot, engineer, ticket
):
    log_in(engineer)
    page.goto(ticket.get_absolute_url())
    card = page.locator("#attachments-card")
    expect(card).to_contain_text("暂无附件")

    # Paste while the upload zone has the focus, then drop a second screenshot on it.
    page.focus("#ticket-attachments")
    page.evaluate(MAKE_IMAGE, ["#ticket-attachments", "paste"])
    chosen = card.locator(".attach-chosen-item")
    expect(chosen).to_have_count(1)
    expect(chosen.first).to_contain_text("screenshot-")
    expect(chosen.first.locator("img.attach-chosen-preview")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    page.evaluate(MAKE_IMAGE, [".attach-upload-form [data-attach-drop]", "drop"])
    expect(chosen).to_have_count(2)
    expect(chosen.nth(1)).to_contain_text("错误截图.png")
    screenshot("attachments-chosen")

    card.locator("button[type=submit]", has_text="上传").click()  # htmx: the card is replaced
    expect(page.locator("#attachments-card .attach-thumb")).to_have_count(2)
    files = list(Attachment.objects.filter(ticket=ticket).order_by("id"))
    assert [a.content_type_detected for a in files] == ["image/png", "image/png"]
    assert files[0].original_name.startswith("screenshot-") and files[1].original_name == "错误截图.png"

    # The thumbnail loads (a real image) and opens the preview dialog.
    thumb = page.locator("#attachments-card .attach-thumb img").first
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") > 0
    page.locator("#attachments-card .attach-thumb").first.click()
    dialog = page.locator("dialog.attach-preview-dialog")
    expect(dialog).to_be_visible()
    assert dialog.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 320
    screenshot("attachments-preview")
    dialog.locator(".attach-preview-close").click()
    expect(dialog).to_be_hidden()

    # Delete with a reason: the row stays, saying who and why.
    item = page.locator(f"#attachment-{files[0].pk}")
    item.locator("summary").click()
    item.locator("input[name=reason]").fill("截图里有客户手机号")
    item.locator("button[type=submit]").click()
    expect(page.locator(f"#attachment-{files[0].pk}")).to_contain_text("截图里有客户手机号")
    expect(page.locator(f"#attachment-{files[0].pk}")).to_contain_text("删除")
    files[0].refresh_from_db()
    assert files[0].is_deleted


def test_wrong_type_is_refused_in_the_page(page, log_in, engineer, ticket, tmp_path):
    log_in(engineer)
    page.goto(ticket.get_absolute_url())
    program = tmp_path / "invoice.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 400)
    page.set_input_files("#ticket-attachments", str(program))
    page.locator("#attachments-card button[type=submit]", has_text="上传").click()
    expect(page.locator("#attachments-errors")).to_contain_text("“invoice.pdf”不能作为附件")
    assert not Attachment.objects.exists()


def test_paste_a_screenshot_into_a_reply(page, log_in, engineer, ticket):
    log_in(engineer)
    page.goto(ticket.get_absolute_url())
    form = page.locator("#reply-form")
    expect(form.locator("input[type=file][data-attachments]")).to_have_count(1)
    form.locator("textarea").fill("您好,请看截图中的设置步骤。")
    page.evaluate(MAKE_IMAGE, ["#reply-form textarea", "paste"])
    expect(form.locator(".attach-chosen-item")).to_have_count(1)
    # The text typed before the paste is still there: the image went to the files, not the text.
    expect(form.locator("textarea")).to_have_value("您好,请看截图中的设置步骤。")
    form.locator("button[type=submit]").click()
    expect(page.locator(".attach-thumb")).not_to_have_count(0)
    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert attachment.target is not None and attachment.target._meta.label == "conversation.Message"
    assert attachment.target.body == "您好,请看截图中的设置步骤。"
    assert attachment.content_type_detected == "image/png" and attachment.original_name.startswith(
        "screenshot-"
    )


def test_a_file_over_the_limit_is_stopped_before_it_is_sent(page, log_in, engineer, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    log_in(engineer)
    page.goto(ticket.get_absolute_url())
    page.evaluate(MAKE_IMAGE, [".attach-upload-form [data-attach-drop]", "drop"])
    chosen = page.locator("#attachments-card .attach-chosen-item")
    expect(chosen).to_have_class(re.compile("text-danger"))
    requests = []
    page.on("request", lambda request: requests.append(request) if request.method == "POST" else None)
    page.locator("#attachments-card button[type=submit]", has_text="上传").click()
    expect(page.locator("#attachments-card .attach-refused")).to_contain_text("文件过大")
    assert requests == [] and not Attachment.objects.exists()
    # Taking the file out clears the refusal.
    chosen.locator(".attach-remove").click()
    expect(page.locator("#attachments-card .attach-refused")).to_have_count(0)
