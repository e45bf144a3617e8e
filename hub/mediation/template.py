"""The texts that get signed: a mediation agreement (调解协议书) and a witness statement.

Both are plain text built from the case's records by a fixed template (Chinese with English in
parallel, as the court reads Chinese and the parties abroad often do not). The text is what the
signatures cover (see ``model.text_sha256``); the PDF shows exactly these lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["Person", "agreement_text", "statement_text"]

TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class Person:
    name: str
    document: str
    country: str
    location: str  # the office where the person takes part: a branch, or the hub (domestic)
    role: str = "party"  # party | representative | interpreter | witness
    represents: str | None = None


def _person_line(i: int, p: Person) -> str:
    return (
        f"{i}. {p.name}（证件 Document {p.document}，国家 Country {p.country}，"
        f"参与地点 Taking part at {p.location}）"
    )


def agreement_text(
    *,
    number: str,
    version: int,
    drafted_on: date,
    subject: str,
    summary: str,
    parties: Sequence[Person],
    helpers: Sequence[Person],
    mediator: str,
    mediator_office: str,
    terms: Sequence[str],
) -> str:
    lines = [
        "调解协议书 Mediation Agreement",
        f"案号 Case {number}　版本 Draft {version}　拟定日期 Drafted on {drafted_on.isoformat()}",
        f"模板 Template mediation-agreement/v{TEMPLATE_VERSION}",
        "",
        "当事人 Parties:",
        *(_person_line(i, p) for i, p in enumerate(parties, 1)),
    ]
    if helpers:
        lines.append("代理人及翻译 Representatives and interpreters:")
        lines += [f"- {h.name}（{h.role}，为 for {h.represents or '-'}）" for h in helpers]
    lines += [
        f"调解员 Mediator: {mediator}（{mediator_office}）",
        "",
        f"纠纷事项 Dispute: {subject}",
        f"基本情况 Facts: {summary}",
        "",
        "经调解，各方自愿达成如下协议 The parties freely agree as follows:",
        *(f"第{i}条 Article {i}. {t}" for i, t in enumerate(terms, 1)),
        "",
        "各方确认本协议系自愿达成，内容真实合法，并同意共同向人民法院申请司法确认。",
        "The parties confirm this agreement is voluntary, true and lawful, and agree to apply",
        "together to the people's court for its judicial confirmation.",
        "本协议经各方当事人、调解员签名并加盖服务中心电子印章后生效。",
        "It takes effect once signed by every party and the mediator and sealed by the centre.",
    ]
    return "\n".join(lines) + "\n"


def statement_text(
    *,
    number: str,
    session_id: str,
    taken_on: date,
    witness: Person,
    taken_by: str,
    statement: str,
) -> str:
    lines = [
        "远程视频取证笔录 Record of Remote Evidence-Taking",
        f"案号 Case {number}　视频会话 Session {session_id}　日期 Date {taken_on.isoformat()}",
        f"模板 Template evidence-statement/v{TEMPLATE_VERSION}",
        "",
        "陈述人 Witness:",
        _person_line(1, witness),
        f"取证人 Taken by: {taken_by}",
        "",
        "陈述内容 Statement:",
        *statement.strip().splitlines(),
        "",
        "陈述人确认以上内容与其在录音录像中的陈述一致。",
        "The witness confirms that the above is what they stated in the recorded session.",
    ]
    return "\n".join(lines) + "\n"
