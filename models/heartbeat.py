"""The scheduler's heartbeat: when each job last finished, for /health to report."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import at_field


class SchedulerHeartbeat(SQLModel, table=True):
    """One row per job, overwritten each time the job finishes without error."""

    __tablename__ = "scheduler_heartbeat"

    job: str = Field(primary_key=True, max_length=64)
    finished_at: datetime = at_field(nullable=False)


class SchedulerRun(SQLModel):
    job: str = Field(description="最近完成的定时任务")
    finished_at: datetime = Field(description="它完成的时刻")


class HealthRead(SQLModel):
    """What /health answers while the database is reachable (otherwise a 503 database_unavailable)."""

    status: str = Field(default="ok", description="ok：服务与数据库均可用")
    database: str = Field(default="ok", description="ok：数据库在限时内应答")
    scheduler_last_run: SchedulerRun | None = Field(
        default=None, description="定时任务最近一次完成（为空：从未运行）；超过几分钟未更新说明调度器停了"
    )
