"""Backup commands: create, list, verify, restore, prune; keygen, recipient add/list/remove, passphrase.

Secrets come from hidden prompts, or with --password-stdin (alias --passphrase-stdin after `backup`) one
line each in the order asked: the operator's own password first (signing in with --user; none with a peer
login), then the passphrase the command needs (the backup's, or the stored key's), and for `restore` the
operator's password again before the live database is replaced. docs/backup.md lists them per command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zhurnal.core.permissions import Actor
from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context

PASSPHRASE_PROMPT = "Пароль ключа резервных копий: "


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _live_actor(ctx: Context) -> Actor | None:
    """The signed-in operator when the database holds a school; None on an empty database (a fresh machine
    restoring or verifying a backup: the file and the key are the credentials there)."""
    if ctx.store.is_initialised():
        return ctx.actor()
    return None


def _service(ctx: Context, folder: Path | None = None) -> Any:
    from zhurnal.core.backup.service import BackupService

    return BackupService(ctx.store, folder=folder)


def _size(size: int) -> str:
    for unit in ("байт", "КиБ", "МиБ", "ГиБ"):
        if size < 1024 or unit == "ГиБ":
            return f"{size:.0f} {unit}" if unit == "байт" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _identities(ctx: Context, path: Path) -> list[Any]:
    """The keys for `path`: a passphrase for a passphrase-only backup, the --identity file, or zhurnal's
    stored identity (its passphrase asked)."""
    from zhurnal.core.backup import keys

    if not path.is_file():
        raise CliError(f"Файла {path} нет", EXIT_FAILED)
    if keys.needs_passphrase(path):
        from zhurnal.core.backup.age import ScryptIdentity

        return [ScryptIdentity(ctx.read_password("Пароль резервной копии: "))]
    if ctx.args.identity:
        identity_file = Path(ctx.args.identity)
        passphrase = None
        if identity_file.is_file() and keys.is_encrypted_file(identity_file):
            passphrase = ctx.read_password(f"Пароль файла ключа {identity_file.name}: ")
        return keys.identities_from_file(identity_file, passphrase)
    if not keys.identity_path().exists():
        raise CliError(f"Ключа резервных копий нет ({keys.identity_path()}): укажите --identity FILE "
                       "(например, ключ с листа восстановления)", EXIT_FAILED)
    return [keys.load_identity(ctx.read_password(PASSPHRASE_PROMPT))]


# ---- create, list, verify, prune -------------------------------------------------------------------------


def cmd_create(ctx: Context) -> int:
    actor = ctx.actor()
    passphrase = None
    if ctx.args.passphrase:
        from zhurnal.core.backup.keys import passphrase_problems

        passphrase = ctx.read_password("Пароль для этой резервной копии: ", confirm=True)
        problems = passphrase_problems(passphrase)
        if problems:
            raise CliError("; ".join(problems), EXIT_FAILED)
    out = Path(ctx.args.out) if ctx.args.out else None
    created = _service(ctx).create(actor, out_dir=out, passphrase=passphrase)
    if not ctx.args.quiet:
        ctx.print(f"Резервная копия: {created.path} ({_size(created.size)}, строк {created.rows}, записей "
                  f"аудита {created.audit_count}, {created.seconds:.1f} с)")
    return EXIT_OK


_STATES = {"verified": "проверена", "failed": "ОШИБКА", "changed": "ИЗМЕНЕНА после проверки",
           "unverified": "не проверена"}


def cmd_list(ctx: Context) -> int:
    actor = ctx.actor()
    folder = Path(ctx.args.dir) if ctx.args.dir else None
    backups = _service(ctx, folder).list(actor)
    if not backups:
        ctx.print("Резервных копий нет")
        return EXIT_OK
    for b in backups:
        state = _STATES[b.state]
        if b.verification is not None and b.state in ("verified", "failed"):
            state += " " + b.verification.verified_at.astimezone().strftime("%d.%m.%Y %H:%M")
        created = b.created.astimezone().strftime("%d.%m.%Y %H:%M")
        ctx.print(f"{b.name}\t{created}\t{_size(b.size)}\t{state}")
    verified = next((b for b in backups if b.state == "verified"), None)
    if verified is None:
        ctx.print("Ни одна копия не проверена: zhurnal backup verify ФАЙЛ")
    else:
        from datetime import UTC, datetime

        days = (datetime.now(UTC) - verified.created).days
        ctx.print(f"Последняя проверенная копия: {verified.name} (ей {days} дн.)")
    return EXIT_OK


def _latest(ctx: Context) -> Path:
    from zhurnal.core.backup.service import backup_dir, list_backups

    folder = Path(ctx.args.dir) if ctx.args.dir else backup_dir()
    backups = list_backups(folder)
    if not backups:
        raise CliError(f"В папке {folder} нет резервных копий", EXIT_FAILED)
    return backups[0].path


def cmd_verify(ctx: Context) -> int:
    if bool(ctx.args.file) == bool(ctx.args.latest):
        raise CliError("Укажите файл копии или --latest")
    path = Path(ctx.args.file) if ctx.args.file else _latest(ctx)
    actor = _live_actor(ctx)
    identities = _identities(ctx, path)
    report = _service(ctx).verify(actor, path, identities)
    if not report.ok:
        _err(f"zhurnal: {path.name}: копия НЕ прошла проверку: {report.problem}")
        return EXIT_FAILED
    if not ctx.args.quiet:
        m = report.manifest
        assert m is not None
        schools = ", ".join(str(s.get("code")) for s in m.schools)
        ctx.print(f"{path.name}: копия цела — строк {m.total_rows}, таблиц {len(m.tables)}, записей аудита "
                  f"{m.audit_count}; сделана {m.created.astimezone().strftime('%d.%m.%Y %H:%M')} "
                  f"(zhurnal {m.app_version}, {m.engine}; школы: {schools})")
        if not report.schema_matches:
            from zhurnal.core.migrate import SCHEMA_HEAD, is_older_revision

            if is_older_revision(m.schema_revision):
                ctx.print(f"Копия сделана до обновления (схема {m.schema_revision}): при восстановлении база будет "
                          f"обновлена до схемы {SCHEMA_HEAD}")
            else:
                ctx.print("Схема базы в копии другая, чем у этой версии zhurnal: восстанавливать её нужно версией "
                          f"{m.app_version}")
    return EXIT_OK


def cmd_prune(ctx: Context) -> int:
    actor = ctx.actor()
    folder = Path(ctx.args.dir) if ctx.args.dir else None
    plan = _service(ctx, folder).prune(actor, keep_daily=ctx.args.keep_daily, keep_weekly=ctx.args.keep_weekly,
                                       keep_monthly=ctx.args.keep_monthly, dry_run=ctx.args.dry_run)
    verb = "будет удалена" if ctx.args.dry_run else "удалена"
    for backup in plan.remove:
        ctx.print(f"{verb}: {backup.name}")
    for partial in plan.stale_partials:
        ctx.print(f"{verb} незавершённая: {partial.name}")
    if not ctx.args.quiet or ctx.args.dry_run:
        ctx.print(f"Оставлено копий: {len(plan.keep)}, {'к удалению' if ctx.args.dry_run else 'удалено'}: "
                  f"{len(plan.remove) + len(plan.stale_partials)}")
    return EXIT_OK


# ---- restore ---------------------------------------------------------------------------------------------


def cmd_restore(ctx: Context) -> int:
    from zhurnal.core.backup.service import RestorePlan

    path = Path(ctx.args.file)
    actor = _live_actor(ctx)
    identities = _identities(ctx, path)
    live = actor is not None

    def confirm(plan: RestorePlan) -> str | None:
        m = plan.manifest
        ctx.print(f"Копия {path.name} от {m.created.astimezone().strftime('%d.%m.%Y %H:%M')} проверена и "
                  f"загружена: строк {sum(plan.counts.values())}, записей аудита {m.audit_count}.")
        if plan.replaces_live:
            ctx.print(f"Она заменит рабочую базу {plan.target}; прежняя будет сохранена рядом.")
        else:
            ctx.print(f"Восстановленная база: {plan.target}; рабочая база не меняется.")
        if not ctx.args.yes:
            if ctx.args.password_stdin or not sys.stdin.isatty():
                raise CliError("Подтвердите восстановление: --yes (ничего не изменено)")
            answer = input("Продолжить? [да/нет]: ").strip().casefold()
            if answer not in ("да", "д", "yes", "y"):
                raise CliError("Восстановление отменено; рабочая база не тронута", EXIT_FAILED)
        if not live:
            return None
        return ctx.read_password("Восстановление: повторите свой пароль: ")

    def progress(message: str) -> None:
        _err(f"… {message}")

    result = _service(ctx).restore(actor, path, identities, to_url=ctx.args.to, confirm=confirm,
                                   stage=progress)
    if result.note:
        _err(f"zhurnal: {result.note}")
        return EXIT_FAILED
    if result.backup is not None:
        ctx.print(f"Рабочая база перед восстановлением сохранена в копии {result.backup}")
    ctx.print(f"Восстановлено в {result.database} за {result.seconds:.1f} с")
    if result.previous:
        ctx.print(f"Прежняя база сохранена: {result.previous}")
    if ctx.args.to:
        ctx.print(f"Чтобы работать с ней: zhurnal --db '{result.database}' … или ZHURNAL_DB (пароль сервера "
                  "в адресе не показан)")
    return EXIT_OK


# ---- keys ------------------------------------------------------------------------------------------------


def cmd_keygen(ctx: Context) -> int:
    from zhurnal.core.backup import keys

    sheet = ctx.args.recovery_sheet
    if sheet and sheet != "-" and Path(sheet).exists():
        raise CliError(f"Файл {sheet} уже есть: лист восстановления пишется только в новый файл")
    actor = _live_actor(ctx)
    passphrase = ctx.read_password("Новый пароль ключа резервных копий (не короче 15 символов): ", confirm=True)
    generated = _service(ctx).keygen(actor, passphrase, force=ctx.args.force)
    ctx.print(f"Ключ создан: {generated.identity_file} (зашифрован паролем)")
    ctx.print(f"Получатель добавлен в конфигурацию: {generated.recipient}")
    if generated.replaced:
        ctx.print(f"Прежний ключ сохранён как {generated.replaced}: он нужен для старых копий")
    if sheet == "-":
        _err("ВНИМАНИЕ: ниже секретный ключ. Кто его увидит, прочитает все резервные копии. Распечатайте лист "
             "и уберите в сейф; не оставляйте его в истории терминала или в журналах.")
        ctx.print(keys.recovery_sheet(generated))
    elif sheet:
        keys.write_recovery_sheet(Path(sheet), keys.recovery_sheet(generated))
        ctx.print(f"Лист восстановления записан в {sheet} (права 0600): распечатайте, уберите в сейф, удалите "
                  "файл")
    else:
        ctx.print("Лист восстановления не создан (секретный ключ показывается только при создании: "
                  "--recovery-sheet FILE). Рекомендуется ещё отдельный офлайн-ключ восстановления: "
                  "zhurnal backup recipient add age1…")
    return EXIT_OK


def cmd_recipient_add(ctx: Context) -> int:
    actor = _live_actor(ctx)
    key, added = _service(ctx).add_recipient(actor, ctx.args.key)
    ctx.print(("Получатель добавлен: " if added else "Такой получатель уже есть: ") + key)
    return EXIT_OK


def cmd_recipient_list(ctx: Context) -> int:
    from zhurnal.core.backup.keys import own_recipient

    actor = _live_actor(ctx)
    recipients = _service(ctx).recipients(actor)
    own = own_recipient()
    if not recipients:
        ctx.print("Получателей нет: резервные копии по расписанию не создаются (zhurnal backup keygen)")
    for key in recipients:
        ctx.print(key + ("\t(ключ zhurnal на этом сервере)" if key == own else ""))
    return EXIT_OK


def cmd_recipient_remove(ctx: Context) -> int:
    actor = _live_actor(ctx)
    removed = _service(ctx).remove_recipient(actor, ctx.args.key)
    ctx.print(f"Получатель удалён: {removed}")
    ctx.print("Уже сделанные копии он по-прежнему может расшифровать; новые — нет.")
    return EXIT_OK


def cmd_passphrase(ctx: Context) -> int:
    actor = _live_actor(ctx)
    old = ctx.read_password("Текущий пароль ключа резервных копий: ")
    new = ctx.read_password("Новый пароль ключа (не короче 15 символов): ", confirm=True)
    _service(ctx).change_passphrase(actor, old, new)
    ctx.print("Пароль ключа изменён (сам ключ и все копии прежние)")
    return EXIT_OK


# ---- parser ----------------------------------------------------------------------------------------------


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser("backup", help="зашифрованные резервные копии: создать, проверить, восстановить")
    backup.add_argument("--passphrase-stdin", "--password-stdin", dest="password_stdin", action="store_true",
                        default=argparse.SUPPRESS,
                        help="пароли и парольные фразы со стандартного ввода, по строке на запрос")
    sub = backup.add_subparsers(title="команды", metavar="COMMAND", required=True)

    create = sub.add_parser("create", help="создать резервную копию (снимок работающей базы)")
    create.add_argument("--out", metavar="DIR", help="папка (по умолчанию backups/ в папке данных)")
    create.add_argument("--passphrase", action="store_true",
                        help="зашифровать только паролем (спросит его), а не ключами получателей")
    create.add_argument("-q", "--quiet", action="store_true", help="ничего не печатать при успехе (cron)")
    create.set_defaults(handler=cmd_create)

    listing = sub.add_parser("list", help="резервные копии: дата, размер, проверена ли")
    listing.add_argument("--dir", metavar="DIR")
    listing.set_defaults(handler=cmd_list)

    verify = sub.add_parser("verify", help="расшифровать и проверить копию целиком (рабочая база не трогается)")
    verify.add_argument("file", nargs="?", metavar="FILE")
    verify.add_argument("--latest", action="store_true", help="проверить самую новую копию в папке")
    verify.add_argument("--dir", metavar="DIR")
    verify.add_argument("--identity", metavar="FILE", help="файл ключа age (например, офлайн-ключ)")
    verify.add_argument("-q", "--quiet", action="store_true")
    verify.set_defaults(handler=cmd_verify)

    restore = sub.add_parser("restore", help="восстановить копию в новую базу, проверить и заменить рабочую")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--to", metavar="URL", help="восстановить в эту (пустую или новую) базу, рабочую не менять")
    restore.add_argument("--identity", metavar="FILE", help="файл ключа age (например, офлайн-ключ)")
    restore.add_argument("--yes", action="store_true", help="не спрашивать «продолжить?» (пароль спросит всё равно)")
    restore.set_defaults(handler=cmd_restore)

    prune = sub.add_parser("prune", help="удалить старые копии (дед-отец-сын)")
    prune.add_argument("--keep-daily", type=int, default=7, metavar="N")
    prune.add_argument("--keep-weekly", type=int, default=4, metavar="N")
    prune.add_argument("--keep-monthly", type=int, default=12, metavar="N")
    prune.add_argument("--dry-run", action="store_true", help="только показать, что будет удалено")
    prune.add_argument("--dir", metavar="DIR")
    prune.add_argument("-q", "--quiet", action="store_true")
    prune.set_defaults(handler=cmd_prune)

    keygen = sub.add_parser("keygen", help="создать ключ zhurnal для копий по расписанию")
    keygen.add_argument("--recovery-sheet", metavar="FILE",
                        help="записать лист восстановления с секретным ключом в новый файл («-» — на экран)")
    keygen.add_argument("--force", action="store_true", help="заменить существующий ключ (старый сохранится)")
    keygen.set_defaults(handler=cmd_keygen)

    recipient = sub.add_parser("recipient", help="получатели копий: add, list, remove")
    recipient_sub = recipient.add_subparsers(title="команды", metavar="COMMAND", required=True)
    add = recipient_sub.add_parser("add", help="добавить ключ age1… или «ssh-ed25519 AAAA…»")
    add.add_argument("key", metavar="KEY")
    add.set_defaults(handler=cmd_recipient_add)
    recipient_sub.add_parser("list", help="показать получателей").set_defaults(handler=cmd_recipient_list)
    remove = recipient_sub.add_parser("remove", help="убрать получателя")
    remove.add_argument("key", metavar="KEY")
    remove.set_defaults(handler=cmd_recipient_remove)

    sub.add_parser("passphrase", help="сменить пароль ключа (перешифровать только ключ)").set_defaults(
        handler=cmd_passphrase)
