"""Chapter 6 pages: the article list with search, an article, its editing and review, capture from a
resolved ticket, suggestions beside the intake form, and linking articles to tickets."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments.selectors import target_attachments
from toolkit.models import Ticket

from . import selectors, services
from .forms import ArticleFilterForm, ArticleForm, LinkForm
from .models import Article

VIEW = "knowledge.view_article"
ADD = "knowledge.add_article"
LINK = "knowledge.add_articlelink"
VOTE = "knowledge.add_helpfulvote"

view_required = permission_required(VIEW, raise_exception=True)


def _visible_article(request, pk) -> Article:
    try:
        article = selectors.article_for_page(pk)
    except Article.DoesNotExist:
        raise Http404 from None
    if article.status not in selectors.visible_statuses(request.user):
        raise Http404
    return article


@require_GET
@view_required
def article_list(request):
    statuses = selectors.visible_statuses(request.user)
    form = ArticleFilterForm(request.GET, statuses=statuses)
    filters = form.filters()
    page = selectors.article_page(**filters, page=request.GET.get("page", 1))
    context = {"form": form, "page": page, "q": filters["q"], "tags": selectors.all_tags()}
    template = "knowledge/_results.html" if request.htmx else "knowledge/article_list.html"
    return render(request, template, context)


@require_GET
@view_required
def article_detail(request, pk):
    article = _visible_article(request, pk)
    if article.is_published:
        services.article_viewed(article=article)
        article.view_count += 1
    context = {
        "article": article,
        "versions": list(selectors.versions_of(article)[:20]),
        "link_count": selectors.link_count(article),
        "has_voted": selectors.has_voted(article, request.user),
        "can_edit": services.user_can_edit(request.user, article),
        "article_files": target_attachments(article),
        "can_vote": request.user.has_perm(VOTE),
        **selectors.workflow_actions(request.user, article),
    }
    return render(request, "knowledge/article_detail.html", context)


def _save_article(request, form, *, save, template_context):
    if form.is_valid():
        try:
            article = save(form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Article saved."))
            return redirect(article)
    return render(request, "knowledge/article_form.html", {"form": form, **template_context}, status=400)


@permission_required(ADD, raise_exception=True)
def article_create(request):
    action = reverse("knowledge:new")
    if request.method != "POST":
        return render(request, "knowledge/article_form.html", {"form": ArticleForm(action=action)})
    return _save_article(
        request,
        ArticleForm(request.POST, action=action),
        save=lambda form: services.article_create(
            by=request.user, source_tickets=form.cleaned_data["source_ticket_ids"], **form.content()
        ),
        template_context={},
    )


@permission_required(ADD, raise_exception=True)
def article_capture(request, number):
    """An article pre-filled from a resolved ticket (its diagnosis, approved solution and verification)."""
    ticket = get_object_or_404(Ticket, number=number)
    if ticket.stage not in selectors.RESOLVED_STAGES:
        messages.error(request, _("Only a resolved ticket (in evaluation or closed) can be captured."))
        return redirect(ticket)
    action = reverse("knowledge:capture", kwargs={"number": number})
    context = {"ticket": ticket, "existing": selectors.capture_existing(ticket)}
    if request.method != "POST":
        form = ArticleForm(action=action, initial=selectors.capture_initial(ticket))
        return render(request, "knowledge/article_form.html", {"form": form, **context})
    return _save_article(
        request,
        ArticleForm(request.POST, action=action),
        save=lambda form: services.article_create(
            by=request.user,
            source_tickets={ticket, *form.cleaned_data["source_ticket_ids"]},
            **form.content(),
        ),
        template_context=context,
    )


@permission_required("knowledge.change_article", raise_exception=True)
def article_edit(request, pk):
    article = _visible_article(request, pk)
    if not services.user_can_edit(request.user, article):
        raise PermissionDenied
    action = reverse("knowledge:edit", kwargs={"pk": pk})
    context = {"article": article}
    if request.method != "POST":
        return render(
            request,
            "knowledge/article_form.html",
            {"form": ArticleForm(instance=article, action=action), **context},
        )
    return _save_article(
        request,
        ArticleForm(request.POST, instance=Article.objects.get(pk=pk), action=action),
        save=lambda form: services.article_update(article=article, by=request.user, **form.content()),
        template_context=context,
    )


def _workflow(request, pk, service, notice):
    article = _visible_article(request, pk)
    try:
        service(article=article, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, notice)
    return redirect(article)


@require_POST
@permission_required("knowledge.change_article", raise_exception=True)
def article_submit(request, pk):
    return _workflow(request, pk, services.article_submit, _("Submitted for review."))


@require_POST
@permission_required(selectors.PUBLISH_PERMISSION, raise_exception=True)
def article_publish(request, pk):
    return _workflow(request, pk, services.article_publish, _("Article published."))


@require_POST
@permission_required(selectors.PUBLISH_PERMISSION, raise_exception=True)
def article_return(request, pk):
    return _workflow(request, pk, services.article_return, _("Article sent back to draft."))


@require_POST
@permission_required(selectors.PUBLISH_PERMISSION, raise_exception=True)
def article_archive(request, pk):
    return _workflow(request, pk, services.article_archive, _("Article archived."))


@require_POST
@permission_required(VOTE, raise_exception=True)
def article_helped(request, pk):
    article = _visible_article(request, pk)
    try:
        counted = services.article_vote_helped(article=article, by=request.user)
    except ValidationError as error:
        counted = False
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        article.refresh_from_db(fields=["helped_count"])
        return render(
            request, "knowledge/_helped.html", {"article": article, "has_voted": True, "can_vote": True}
        )
    if counted:
        messages.success(request, _("Thank you: your vote was counted."))
    return redirect(article)


@require_GET
@view_required
def suggest(request):
    """The box beside the intake form: published articles and resolved tickets like the typed text."""
    result = selectors.suggestions(
        description=request.GET.get("description", "")[:2000],
        error_message=request.GET.get("error_message", "")[:500],
        viewer=request.user,
    )
    return render(request, "knowledge/_suggestions.html", {"suggestions": result})


@require_GET
@permission_required(LINK, raise_exception=True)
def link_search(request, number):
    """The ticket panel's picker: published articles matching q, each with a "Link" button."""
    ticket = get_object_or_404(Ticket, number=number)
    q = request.GET.get("q", "")[:200]
    articles = selectors.published_articles_search(q)
    return render(request, "knowledge/_link_results.html", {"ticket": ticket, "articles": articles, "q": q})


@require_POST
@permission_required(LINK, raise_exception=True)
def link_article(request, number):
    ticket = get_object_or_404(Ticket, number=number)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a published article to link."))
        return redirect(ticket)
    services.article_link(article=form.cleaned_data["article"], ticket=ticket, by=request.user)
    if request.htmx:
        return render(
            request,
            "knowledge/_ticket_panel.html",
            {"ticket": ticket, "knowledge_panel": selectors.knowledge_panel(ticket)},
        )
    messages.success(request, _("Article linked to the ticket."))
    return redirect(ticket)
