"""The one place that walks a tree of rows linked to a parent: the function
tree (Function.parent) and the reporting lines between hats (Hat.reports_to).

The walkers take {id: parent_id} (or ordered (id, parent_id) pairs) read by
the caller, so they never query. The two recursive queries that let the
database walk the function tree inside a larger query live here too.

One policy for a cycle: it cannot be stored (`would_cycle` is checked by the
forms and again by the services under a lock, and a restored backup is
refused), but a tree written before that rule, or by hand, may still hold
one. Every walker then ends and lists each node once: going up stops where
the chain comes round again; going down, a node no root reaches is placed
as a root of its own (the first one in the caller's order), with what hangs
below it. The SQL walks agree: UNION drops a row already found. The map's
health check names the cycles (`cycles`).
"""

from django.db.models.expressions import RawSQL


def up(node, parent):
    """`node` and every node above it, nearest first; `parent(node)` gives a
    node's parent id (None at a root)."""
    seen = set()
    while node is not None and node not in seen:
        yield node
        seen.add(node)
        node = parent(node)


def ancestors(parent_of, node):
    """Ids above `node` in {id: parent_id}, nearest first."""
    return list(up(node, parent_of.get))[1:]


def would_cycle(parent_of, node, new_parent):
    """True when giving `node` the parent `new_parent` makes it its own ancestor."""
    if node is None or new_parent is None:
        return False
    return new_parent == node or node in ancestors(parent_of, new_parent)


def children_of(pairs):
    """{parent id: [child ids]} in the order of `pairs` ((id, parent_id))."""
    children = {}
    for node, parent in pairs:
        children.setdefault(parent, []).append(node)
    return children


def descendants(parent_of, roots):
    """Ids of `roots` (those in `parent_of`) and everything below them."""
    children = children_of(parent_of.items())
    found, stack = set(), [r for r in roots if r in parent_of]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found


def depth_first(pairs):
    """[(id, depth)] of every node of `pairs` ((id, parent_id), siblings in the
    order wanted), each once: parents before their children. A node whose
    parent is missing is a root; so is the first node of a cycle."""
    pairs = list(pairs)
    ids = {node for node, _parent in pairs}
    children = children_of((node, parent if parent in ids else None) for node, parent in pairs)
    out, seen = [], set()

    def walk(starts):
        stack = [(node, 0) for node in reversed(starts)]
        while stack:
            node, depth = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            out.append((node, depth))
            stack.extend((c, depth + 1) for c in reversed(children.get(node, ())))

    walk(children.get(None, ()))
    for node, _parent in pairs:  # only on a cycle
        if node not in seen:
            walk([node])
    return out


def cycles(parent_of):
    """The cycles in `parent_of`, each as its ids in order along the chain,
    starting from the smallest id; sorted."""
    found, done = [], set()
    for start in parent_of:
        path, on_path = [], {}
        node = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent_of.get(node)
        if node is not None and node in on_path:
            loop = path[on_path[node] :]
            first = loop.index(min(loop))
            found.append(loop[first:] + loop[:first])
        done.update(path)
    return sorted(found)


# The database walks the function tree where the answer is part of a larger query.
_BELOW_HEADED = (
    "WITH RECURSIVE below(id) AS ("
    "SELECT id FROM roles_function WHERE org_id = %s AND head_id = %s "
    "UNION SELECT f.id FROM roles_function f INNER JOIN below b ON f.parent_id = b.id "
    "WHERE f.org_id = %s) SELECT id FROM below"
)
_ABOVE = (
    "WITH RECURSIVE up(id, parent_id) AS ("
    "SELECT id, parent_id FROM roles_function WHERE id = %s AND org_id = %s "
    "UNION SELECT f.id, f.parent_id FROM roles_function f INNER JOIN up ON f.id = up.parent_id "
    "WHERE f.org_id = %s) SELECT id FROM up"
)


def headed_and_below_sql(org_id, person_id):
    """Subquery of the ids of the functions `person_id` heads and all below them."""
    return RawSQL(_BELOW_HEADED, (org_id, person_id, org_id))  # noqa: S611  # nosec B611


def chain_sql(org_id, function_id):
    """Subquery of the ids of `function_id` and every function above it."""
    return RawSQL(_ABOVE, (function_id, org_id, org_id))  # noqa: S611  # nosec B611
