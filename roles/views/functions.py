"""The function page and the function writes (create, edit, move, delete)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from ..access import deny_unless, get_in_org, id_param, org_view
from ..forms.functions import FunctionForm
from ..models import Function
from ..pagecache import render_cached
from ..services import functions as services


@require_safe
@org_view()
def function_detail(request, function_id):
    acc = request.access

    def build():
        function = get_in_org(Function.objects.select_related("head"), acc, pk=function_id)
        return {
            "page": services.function_page(acc.org, function, acc),
            "can_edit": acc.can_edit_function(function),
            "can_create": acc.can_create_function(function),
        }

    return render_cached(
        request,
        "roles/function_detail.html",
        build,
        title=lambda c: c["page"].function.name,
        frame={"nav": "map"},
    )


def save_form(request, form):
    """Save a valid form; a name the database refuses, or a move that another
    one made meanwhile into a loop, goes back to the form."""
    function = form.save(commit=False)
    try:
        with transaction.atomic():
            services.save_function(function)
    except IntegrityError:
        form.name_taken()
        return None
    except ValidationError as error:
        form.add_error("parent", error)
        return None
    return function


@require_http_methods(["GET", "POST"])
@org_view("manager")
def function_create(request):
    acc = request.access
    parent = None
    parent_id = id_param(request.GET.get("parent"))
    if parent_id is not None:
        parent = get_in_org(Function, acc, pk=parent_id)
    # Without a parent a manager still gets the form: it offers the functions they manage.
    deny_unless(
        acc.can_create_function(parent) if parent else acc.is_admin or acc.managed_function_ids
    )
    form = FunctionForm(request.POST or None, org=acc.org, access=acc, initial={"parent": parent})
    if request.method == "POST" and form.is_valid():
        deny_unless(acc.can_create_function(form.cleaned_data["parent"]))
        function = save_form(request, form)
        if function is not None:
            messages.success(request, _("Function “%(name)s” created.") % {"name": function})
            return redirect("roles:function-detail", org=acc.org.slug, function_id=function.id)
    return render(
        request,
        "roles/function_form.html",
        {"form": form, "parent": parent, "creating": True, "nav": "map"},
    )


@require_http_methods(["GET", "POST"])
@org_view("manager")
def function_edit(request, function_id):
    acc = request.access
    function = get_in_org(Function, acc, pk=function_id)
    deny_unless(acc.can_edit_function(function))
    form = FunctionForm(request.POST or None, instance=function, org=acc.org, access=acc)
    if request.method == "POST" and form.is_valid():
        saved = save_form(request, form)
        if saved is not None:
            messages.success(request, _("Function “%(name)s” saved.") % {"name": saved})
            return redirect("roles:function-detail", org=acc.org.slug, function_id=saved.id)
    return render(
        request,
        "roles/function_form.html",
        {"form": form, "function": function, "creating": False, "nav": "map"},
    )


@require_http_methods(["GET", "POST"])
@org_view("manager")
def function_delete(request, function_id):
    acc = request.access
    function = get_in_org(Function, acc, pk=function_id)
    deny_unless(acc.can_edit_function(function))
    hat_count = function.hats.count()
    child_count = function.children.count()
    if request.method == "POST":
        try:
            services.delete_function(function)
        except services.FunctionNotEmpty as refused:
            messages.error(request, str(refused))
            return redirect("roles:function-detail", org=acc.org.slug, function_id=function.id)
        messages.success(request, _("Function “%(name)s” deleted.") % {"name": function.name})
        if function.parent_id:
            return redirect(
                "roles:function-detail", org=acc.org.slug, function_id=function.parent_id
            )
        return redirect("roles:org-map", org=acc.org.slug)
    return render(
        request,
        "roles/function_confirm_delete.html",
        {
            "function": function,
            "hat_count": hat_count,
            "child_count": child_count,
            "nav": "map",
        },
    )
