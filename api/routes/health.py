from fastapi import APIRouter

from api.deps import SessionDep
from api.errors import described
from models.heartbeat import HealthRead, SchedulerRun
from services.health import heartbeat

router = APIRouter()


@router.get(
    "/health",
    summary="健康检查：数据库可用时返回 ok 与定时任务最近一次运行",
    responses=described(s503="数据库不可用（database_unavailable，带 Retry-After）：代理或监控据此摘除或告警"),
)
def health(session: SessionDep) -> HealthRead:
    """The database answered (reading the heartbeat is the check) and when the scheduler last finished a job."""
    last = heartbeat.last_run(session)
    return HealthRead(scheduler_last_run=SchedulerRun(job=last.job, finished_at=last.finished_at) if last else None)
