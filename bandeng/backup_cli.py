"""`bandeng backup` and `bandeng restore`: the database and the photo store, together, as one folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.settings import get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser("backup", help="back up the database and the photos into one folder (server may run)")
    backup.add_argument("--to", type=Path, help="folder to put the backup in (default: BANDENG_BACKUP_DIR)")
    backup.add_argument("--keep", type=int, help="then remove all but the newest N backups in that folder")
    restore = commands.add_parser("restore", help="load a backup into the configured database and photo folder")
    restore.add_argument("backup", type=Path, help="a backup folder, bandeng-backup-<time>")
    restore.add_argument("--force", action="store_true", help="overwrite a database that is not empty")


def run(args: argparse.Namespace) -> int:
    from core.clock import utc_now
    from services.backup import archive
    from services.errors import DomainError

    settings = get_settings()
    sources = archive.Sources(settings.database_url, settings.attachments_dir)
    try:
        if args.command == "backup":
            folder = args.to or settings.backup_dir
            made = archive.take(sources, folder, now=utc_now())
            removed = archive.prune(folder, args.keep) if args.keep else []
            print(f"已备份到 {made}" + (f"，删除了 {len(removed)} 份旧备份" if removed else ""))
            return 0
        manifest = archive.restore(args.backup, sources, replace=args.force)
    except DomainError as exc:
        print(f"未能{'备份' if args.command == 'backup' else '恢复'}: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"未能{'备份' if args.command == 'backup' else '恢复'}: {exc}", file=sys.stderr)
        return 1
    print(f"已从 {args.backup} 恢复（备份于 {manifest['created_at']}，照片 {manifest['attachments']['files']} 张）")
    print("请运行 bandeng migrate（备份来自旧版本时），然后启动服务")
    return 0
