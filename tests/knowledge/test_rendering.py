"""Markdown bodies are rendered, then sanitised: nothing a reader's browser would run survives."""

import pytest

from knowledge.rendering import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("1. 重启服务\n2. 运行 `check_sla`\n\n**注意** [文档](https://example.com/a)")
    assert "<ol>" in html and "<li>重启服务</li>" in html
    assert "<code>check_sla</code>" in html and "<strong>注意</strong>" in html
    assert '<a href="https://example.com/a" rel="noopener noreferrer">文档</a>' in html


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="#" onclick="steal()">x</a>', "onclick"),
        ("[点我](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ('<div style="background:url(javascript:alert(1))">x</div>', "style="),
    ],
)
def test_dangerous_html_is_removed(source, forbidden):
    assert forbidden.lower() not in render_markdown(source).lower()
