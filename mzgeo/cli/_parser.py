"""The CLI's argument parser: Chinese usage messages, every usage error a :class:`UsageError` (exit 2)."""

from __future__ import annotations

import argparse
import difflib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import InputError

__all__ = ["UsageError", "command"]


class UsageError(InputError):
    """The command line itself is wrong (missing/unknown option, bad value): exit code 2."""


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse API
        super().add_usage(usage, actions, groups, prefix if prefix is not None else "用法：")


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors raise :class:`UsageError` in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # a typo is an error, not a guess
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
        #: dest of the options naming input files / output files (checked before any work).
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(_usage_message(self, message))

    def file_in(self, *flags: str, **kwargs: Any) -> argparse.Action:
        action = self.add_argument(*flags, **kwargs)
        self.inputs.append(action.dest)
        return action

    def file_out(self, *flags: str, **kwargs: Any) -> argparse.Action:
        action = self.add_argument(*flags, **kwargs)
        self.outputs.append(action.dest)
        return action


def command(sub: Any, name: str, func: Callable[[argparse.Namespace], int], summary: str) -> _Parser:
    """Add the command ``name`` (run by ``func``) to the sub-command group ``sub``."""
    p = sub.add_parser(name, help=summary, description=summary)
    p.set_defaults(_run=func, _parser=p)
    return p


def _number(text: str) -> float:
    """Parse a finite number given on the command line (``--target 37.5``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        msg = f"「{text}」不是有效的数字"
        raise argparse.ArgumentTypeError(msg)
    return value


def _codec(text: str) -> str:
    """Check a text encoding Python knows (``--encoding gbk``)."""
    import codecs

    try:
        codecs.lookup(text)
    except LookupError:
        msg = f"「{text}」不是已知的文字编码（如 utf-8、gbk、gb18030、big5）"
        raise argparse.ArgumentTypeError(msg) from None
    return text


def _integer(text: str) -> int:
    """Parse a whole number given on the command line (``--p 10``, ``--year 2026``)."""
    try:
        return int(text)
    except ValueError:
        msg = f"「{text}」不是整数"
        raise argparse.ArgumentTypeError(msg) from None


def _action_named(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    for action in parser._actions:
        names = [*action.option_strings, action.dest, str(action.metavar or "")]
        if name in names or name == "/".join(action.option_strings):
            return action
    return None


def _describe(parser: argparse.ArgumentParser, name: str) -> str:
    """``--kind（图层类型…）``: an option with its help text."""
    action = _action_named(parser, name)
    label = "/".join(action.option_strings) if action is not None and action.option_strings else name
    if isinstance(action, argparse._SubParsersAction):
        return f"命令（可用：{'、'.join(action.choices)}）"
    hint = action.help if action is not None and action.help not in (None, argparse.SUPPRESS) else ""
    return f"{label}（{hint}）" if hint else label


def _usage_message(parser: argparse.ArgumentParser, message: str) -> str:
    """Translate an argparse error message into a short Chinese one naming the option."""
    prog = parser.prog
    tail = f"\n运行 {prog} --help 查看用法"
    m = re.match(r"the following arguments are required: (.*)", message)
    if m:
        names = [n.strip() for n in m.group(1).split(", ")]
        if any(isinstance(_action_named(parser, n), argparse._SubParsersAction) for n in names):
            return f"{prog}：缺少{_describe(parser, names[0])}{tail}"
        parts = []
        for n in names:
            action = _action_named(parser, n)
            kind = "参数" if action is not None and not action.option_strings else "选项"
            parts.append(f"缺少必需的{kind} {_describe(parser, n)}")
        return f"{prog}：" + "；".join(parts) + tail
    m = re.match(r"argument (\S+): (.*)", message, re.S)
    if m:
        name, what = m.group(1), m.group(2)
        action = _action_named(parser, name)
        if isinstance(action, argparse._SubParsersAction):
            c = re.match(r"invalid choice: '?([^' ]*)'?", what)
            bad = c.group(1) if c else what
            return f"{prog}：未知命令「{bad}」{_did_you_mean(bad, list(action.choices))}；" \
                   f"可用命令：{'、'.join(action.choices)}{tail}"
        if what.startswith("expected one argument"):
            return f"{prog}：选项 {_describe(parser, name)} 后面缺少取值{tail}"
        if what.startswith("expected at least one argument"):
            return f"{prog}：{_describe(parser, name)} 至少需要一个值{tail}"
        c = re.match(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)", what)
        if c:
            return f"{prog}：选项 {name} 的取值「{c.group(1)}」无效，可选：{c.group(2)}{tail}"
        c = re.match(r"ignored explicit argument '?([^']*)'?", what)
        if c:
            return f"{prog}：选项 {name} 是开关，不接受取值「{c.group(1)}」{tail}"
        c = re.match(r"invalid \S+ value: '?([^']*)'?", what)
        if c:
            return f"{prog}：选项 {name} 的取值「{c.group(1)}」无效{tail}"
        if what.startswith("「"):  # our own number/integer checks
            return f"{prog}：选项 {name} 的取值{what}{tail}"
        return f"{prog}：选项 {name} 的取值有误：{what}{tail}"
    m = re.match(r"unrecognized arguments: (.*)", message)
    if m:
        return _unknown_message(parser, m.group(1).split())
    return f"{prog}：命令行有误：{message}{tail}"


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"（您是不是要输入 {close[0]}？）" if close else ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unknown_message(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    options = [o for a in parser._actions for o in a.option_strings]
    parts = []
    after_option = False
    for tok in extra:
        if tok.startswith("-") and not _is_number(tok):
            name = tok.split("=", 1)[0]
            parts.append(f"未知选项 {name}{_did_you_mean(name, options)}")
            after_option = True
        elif not after_option:  # a value right after an unknown option is that option's value
            parts.append(f"多余的参数「{tok}」")
        else:
            after_option = False
    return f"{parser.prog}：" + "；".join(parts) + f"\n运行 {parser.prog} --help 查看用法"


def _flag(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest:
            return "/".join(action.option_strings) or dest
    return dest
