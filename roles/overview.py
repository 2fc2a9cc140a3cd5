"""Plain structures for the organisation's tree of functions → hats → wearers.
A fixed number of queries whatever the size; templates only walk the result."""

from dataclasses import dataclass, field

from . import tree
from .models import Assignment, Function, Hat


@dataclass
class HatNode:
    hat: Hat
    wearers: list = field(default_factory=list)  # Assignment rows, person preloaded

    @property
    def vacant(self):
        return not self.wearers


@dataclass
class FunctionNode:
    function: Function
    depth: int = 0
    hats: list = field(default_factory=list)
    children: list = field(default_factory=list)

    @property
    def head(self):
        return self.function.head


def function_tree(org):
    """Roots of the function tree, each FunctionNode holding its hats and their
    current wearers. Three queries."""
    functions = list(Function.objects.for_org(org).select_related("head"))
    hats = list(Hat.objects.for_org(org).only("id", "title", "function_id", "position", "revision"))
    wearers = list(
        Assignment.objects.for_org(org)
        .filter(ended__isnull=True, person__active=True)
        .select_related("person")
        .only("id", "hat_id", "share", "person__id", "person__name", "person__active")
        .order_by("person__name")
    )
    by_hat = {}
    for a in wearers:
        by_hat.setdefault(a.hat_id, []).append(a)
    nodes = {f.id: FunctionNode(f) for f in functions}
    for h in hats:
        node = nodes.get(h.function_id)
        if node:
            node.hats.append(HatNode(h, by_hat.get(h.id, [])))
    roots = []
    for fid, depth in tree.depth_first((f.id, f.parent_id) for f in functions):
        node = nodes[fid]
        node.depth = depth
        (nodes[node.function.parent_id].children if depth else roots).append(node)
    return roots


def walk(roots):
    """Depth-first list of FunctionNodes."""
    out, stack = [], list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out
