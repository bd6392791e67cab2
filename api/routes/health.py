from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter()


@router.get("/health", summary="健康检查：数据库可用时返回 ok")
def health(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
