"""Request categories: every staff member reads them, admins add and edit them, none is deleted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from models.category_schemas import CategoryCreate, CategoryUpdate
from models.resident_request import Category
from services import audit
from services.actor import Actor
from services.errors import Conflict, NotFound
from services.people.org import ensure_admin, unique_or_conflict


def list_categories(session: Session, *, include_inactive: bool = False) -> Sequence[Category]:
    """Categories in display order; inactive ones only when asked."""
    query = select(Category).order_by(col(Category.sort_order), col(Category.id))
    if not include_inactive:
        query = query.where(col(Category.is_active).is_(True))
    return session.exec(query).all()


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("诉求分类不存在")
    return category


def _name_taken(name: str) -> Conflict:
    return Conflict("分类名称已存在", code="name_taken", detail={"field": "name", "name": name})


def _ensure_name_free(session: Session, name: str, own_id: int | None = None) -> None:
    found = session.exec(select(Category.id).where(Category.name == name)).first()
    if found is not None and found != own_id:
        raise _name_taken(name)


def create_category(session: Session, actor: Actor, data: CategoryCreate) -> Category:
    """A new active category with a unique name; without a sort order it goes last."""
    ensure_admin(actor)
    _ensure_name_free(session, data.name)
    sort_order = data.sort_order
    if sort_order is None:
        sort_order = int(session.exec(select(func.coalesce(func.max(Category.sort_order), 0))).one()) + 1
    category = Category(name=data.name, request_class=data.request_class, sort_order=sort_order)
    with unique_or_conflict(session, _name_taken(data.name)):
        session.add(category)
    audit.record(
        session,
        "category_create",
        actor=actor,
        target_type="category",
        target_id=category.id,
        detail={"name": category.name, "request_class": category.request_class, "sort_order": sort_order},
    )
    return category


def update_category(session: Session, actor: Actor, category_id: int, data: CategoryUpdate) -> Category:
    """Rename (unique), change the time-limit class, reorder, or (de)activate a category."""
    ensure_admin(actor)
    category = get_category(session, category_id)
    wanted = data.model_dump(exclude_none=True)
    changes = {key: [getattr(category, key), value] for key, value in wanted.items() if getattr(category, key) != value}
    if not changes:
        return category
    if "name" in changes:
        _ensure_name_free(session, wanted["name"], category.id)
    with unique_or_conflict(session, _name_taken(wanted.get("name", category.name))):
        for key, (_, value) in changes.items():
            setattr(category, key, value)
    audit.record(
        session,
        "category_update",
        actor=actor,
        target_type="category",
        target_id=category.id,
        detail={"changes": changes},
    )
    return category
