"""A whole two-party mediation with an interpreter, in headless Chromium, by clicking and typing
only: the invited overseas mediator signs in (password and authenticator code), opens the case
from the form (a wrong document number first: the form says which field), sends the four
invitations (two parties, the interpreter, a witness); each party consents on their own page;
the mediator starts the recorded session and all four meet in it (fake cameras, a network
namespace of the test's own), each named with their role; notes; the witness is heard in a
recorded evidence session started from the case page, and the statement written for their
signature; the agreement drafted from the template; the first party signs at the Milan kiosk
(face check by the node, authenticator code), the mediator changes a term — the page says
plainly that the signature no longer counts — the party signs again, the second party signs
after their own kiosk check (the notice of the voided signature goes once it is signed again),
the mediator signs, the hub seals, the mediator builds and downloads the package and ``qiaolink
verify package`` accepts the file. Then every page the journey made is seen again in zh/en/it at
1280×800 and 390×844: axe-core clean, no sideways scroll, no raw key, in the viewer's language;
screenshots of each."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from common.i18n import translate
from tests.e2e.browser_support import (
    HUB,
    NODE,
    REMOTE_VIDEO_PLAYING,
    ROOT,
    Shots,
    camera_browser,
    challenge_video,
    chromium_args,
    chromium_in,
    harness,
    still_video,
)
from tests.e2e.journeys import (
    SIZES,
    VIEWS,
    PageFaults,
    Visit,
    check_page_sync,
    sign_in_sync,
    typed_code_sync,
    watch_console,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(720)]
PEOPLE = [  # role, name, document, country, language, assists (form row)
    ("party", "Chen Jie 陈杰", "YA1234567", "IT", "it", ""),
    ("party", "Wang Fang 王芳", "EB7654321", "ES", "zh", ""),
    ("interpreter", "Sofia Rossi", "CA00112233", "IT", "en", "1"),
    ("witness", "Marco Bianchi", "CA00998877", "IT", "it", ""),
]
WITNESS = PEOPLE[3][1]
ZH = partial(translate, "zh")
IT = partial(translate, "it")
TERMS = "房东于2026年3月31日前退还押金15000元。\nEach party bears its own costs."
CHANGED = "房东于2026年3月31日前退还押金16000元。\nEach party bears its own costs."


@pytest.fixture
def servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    args = ("--data", str(tmp_path), "--hub-host", HUB, "--node-host", NODE)
    with harness(netns, "test_mediation_servers.py", *args) as printed:
        yield printed


def view_of(browser: Any, lang: str, size: str, faults: PageFaults, **extra: Any) -> Any:
    """A page in a fresh browser view of a person in ``lang`` on a desk or a phone, its
    console watched for CSP refusals and script errors."""
    phone = size == "phone"
    context = browser.new_context(
        viewport=SIZES[size],
        locale={"zh": "zh-CN", "en": "en-GB", "it": "it-IT"}[lang],
        timezone_id="Europe/Rome",
        is_mobile=phone,
        has_touch=phone,
        accept_downloads=True,
        **extra,
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    watch_console(page, faults)
    return page


class Journey:
    """The people of the journey, each in their own browser view, and the pages they made."""

    def __init__(self, browser: Any, servers: dict[str, Any], shots: Shots, video: Path) -> None:
        self.browser, self.servers, self.shots, self.video = browser, servers, shots, video
        self.hub, self.node = servers["hub"], servers["node"]
        self.faults = PageFaults()
        self.visits: list[Visit] = []
        self.number = ""
        self.codes: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.laps: list[tuple[str, int]] = []
        self.walked: dict[str, tuple[str, str]] = {}  # the view each page was walked in
        self.began = time.monotonic()
        self.plane = ""  # what carried the video session, as the mediator's page was told

    def seen(self, page: Any, lang: str, name: str, *, keep: bool = True) -> None:
        self.laps.append((name, round(time.monotonic() - self.began)))
        check_page_sync(page, lang, shots=self.shots, name=name)
        if keep and all(v.url != page.url for v in self.visits):  # each page once
            self.visits.append(Visit(page.url, name))
            size = "phone" if page.viewport_size["width"] < 500 else "desk"
            self.walked[name] = (lang, size)

    def staff(self, username: str, lang: str, size: str) -> Any:
        page = view_of(self.browser, lang, size, self.faults)
        who = self.servers["staff"][username]
        sign_in_sync(page, self.hub, username, who["password"], who["secret"])
        return page


def _open_case(j: Journey, mediator: Any, expect: Any) -> None:
    mediator.goto(f"{j.hub}/mediation?lang=zh")
    mediator.get_by_role("link", name="新建调解案件").click()
    mediator.wait_for_url("**/mediation/new**")
    j.seen(mediator, "zh", "mediator-new-case")
    mediator.locator("#subject").fill("房屋租赁押金纠纷 Deposit of a rented flat in Wencheng")
    mediator.locator("#summary").fill("租客已搬离，房东扣留押金两万元。")
    for i, (role, name, document, country, lang, assists) in enumerate(PEOPLE):
        mediator.locator(f"#p{i}-role").select_option(role)
        mediator.locator(f"#p{i}-name").fill(name)
        mediator.locator(f"#p{i}-document").fill("??" if i == 1 else document)
        mediator.locator(f"#p{i}-country").fill(country)
        mediator.locator(f"#p{i}-location").select_option("MIL")
        mediator.locator(f"#p{i}-lang").select_option(lang)
        mediator.locator(f"#p{i}-represents").select_option(assists)
    mediator.get_by_role("button", name="开立案件").click()
    expect(mediator.locator("#form-errors")).to_contain_text("第 2 人：证件号码")
    expect(mediator.locator("#p0-name")).to_have_value(PEOPLE[0][1])  # nothing typed is lost
    mediator.locator("#p1-document").fill(PEOPLE[1][2])
    mediator.get_by_role("button", name="开立案件").click()
    mediator.wait_for_url("**/mediation/cases/TJ-MIL-**")
    j.number = mediator.locator("h1 [translate=no]").inner_text()
    for _role, name, *_ in PEOPLE:
        mediator.get_by_role("button", name=f"向{name}发送邀请").click()
        expect(mediator.locator("#invitation")).to_be_visible()
        j.codes[name] = mediator.locator("#invited-code").inner_text()
    j.seen(mediator, "zh", "mediator-invitation", keep=False)
    mediator.get_by_role("link", name="我的全部案件").click()
    mediator.get_by_role("link", name=j.number).click()


def _party_opens(j: Journey, page: Any, name: str, lang: str) -> None:
    page.goto(f"{j.hub}/mediation/my?lang={lang}")
    page.locator("#number").fill(j.number)
    page.locator("#code").fill(j.codes[name])
    page.locator("#code").press("Enter")
    page.wait_for_selector("#my-step")


def _kiosk_check(
    j: Journey, kiosk: Any, document: str, name: str, expect: Any, dx: float = 0.0
) -> None:
    """The clerk opens the kiosk verification for the case; the party's face is checked; the
    kiosk hands them back to their page at the hub."""
    kiosk.goto(f"{j.node}/kiosk?lang=it")
    if "/signin" in kiosk.url:
        clerk = j.servers["clerk"]
        sign_in_sync(kiosk, j.node, clerk["username"], clerk["password"], clerk["secret"])
        kiosk.goto(f"{j.node}/kiosk?lang=it")
    kiosk.locator("#k-resident-id").fill(f"resident:{document}")
    kiosk.locator("#k-act").fill(j.number)
    kiosk.locator("#k-code").fill(j.codes[name])
    kiosk.get_by_role("button", name="Apra la verifica al chiosco").click()
    kiosk.wait_for_url("**/kiosk/verify**")
    kiosk.locator("#k-begin").click()
    expect(kiosk.locator("#k-camera")).to_be_focused()  # the challenge is known
    challenge = kiosk.locator("#k-challenge").get_attribute("data-challenge") or ""
    challenge_video(j.video, challenge.split(","), dx=dx)
    kiosk.locator("#k-camera").click()
    expect(kiosk.locator("#k-result")).to_be_visible(timeout=120_000)
    reason = kiosk.locator("#k-reason").inner_text()
    assert kiosk.locator("#k-result").get_attribute("data-accepted") == "true", reason
    kiosk.locator("#k-continue").click()
    kiosk.wait_for_url(f"{j.hub}/mediation/my?**")
    expect(kiosk.locator("#my-step")).to_have_attribute("data-step", "sign")
    still_video(j.video)


def _take_evidence(j: Journey, mediator: Any, expect: Any) -> None:
    """The mediator hears the witness remotely, from the case page: the recorded evidence
    session with the witness and the interpreter, then the statement written for signature."""
    mediator.locator("#witness").select_option(label=WITNESS)
    mediator.get_by_role("button", name=ZH("Start a recorded evidence session")).click()
    mediator.wait_for_url("**/mediation/session?**")
    expect(mediator.locator("#session-subject")).to_contain_text(
        ZH("Remote evidence-taking, case {case}", case=j.number)
    )
    witness = view_of(j.browser, "it", "phone", j.faults)
    _party_opens(j, witness, WITNESS, "it")
    witness.locator("#join").click()
    witness.wait_for_url("**/mediation/session?**")
    mediator.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
    expect(witness.locator("#people li", has_text=WITNESS)).to_contain_text(IT("Witness"))
    expect(witness.locator("#people li", has_text="Sofia Rossi")).to_contain_text(IT("Interpreter"))
    mediator.get_by_role("link", name=ZH("Back to the case page")).click()
    mediator.get_by_role("button", name=ZH("End the session")).click()
    mediator.locator("textarea[name=statement]").fill("证人确认租客于2026年1月15日交还钥匙。")
    mediator.get_by_role("button", name=ZH("Write the statement for signature")).click()
    evidence = mediator.locator("section", has_text=ZH("Evidence of {name}", name=WITNESS))
    expect(evidence).to_contain_text(ZH("Awaiting signatures"))
    _party_opens(j, witness, WITNESS, "it")  # the statement now waits for the witness
    expect(witness.locator("#my-step")).to_have_attribute("data-step", "enrol")
    witness.context.close()


def _sign(page: Any, key: str, expect: Any, done: str) -> None:
    page.locator("input[name=otp]").fill(typed_code_sync(key))
    page.locator("form.sign-form button").click()
    page.wait_for_selector("#my-status, form.sign-form button:enabled", timeout=90_000)
    if not page.locator("#my-status").count():  # refused: the page says why
        page.wait_for_timeout(500)
        raise AssertionError(page.locator("form.sign-form .stage").inner_text())
    expect(page.locator("#my-status")).to_have_text(done)


def _to_the_session_and_out(j: Journey, expect: Any) -> tuple[Any, Any, Any, Any]:
    """The mediator opens the case, the parties and the interpreter consent; everyone joins
    the recorded session from their own page and sees the others' video; the mediator notes
    and ends it, and everyone is back on their page. The mediator's, Chen's, Wang's and
    Sofia's pages."""
    mediator = j.staff("mediator.milan", "zh", "desk")
    _open_case(j, mediator, expect)
    j.seen(mediator, "zh", "mediator-case")

    chen = view_of(j.browser, "it", "phone", j.faults)
    wang = view_of(j.browser, "zh", "phone", j.faults)
    sofia = view_of(j.browser, "en", "desk", j.faults)
    for page, (_role, name, _doc, _c, lang, _a) in zip(
        (chen, wang, sofia), PEOPLE[:3], strict=True
    ):
        _party_opens(j, page, name, lang)
    j.seen(chen, "it", "party-consent")
    for page in (chen, wang):
        page.locator("#my-step button").click()
        expect(page.locator("#my-step")).to_have_attribute("data-step", "wait")
    j.seen(chen, "it", "party-waiting", keep=False)

    # the recorded session, from the case page; everyone joins from their own page
    mediator.goto(f"{j.hub}/mediation/cases/{j.number}?lang=zh")
    mediator.get_by_role("button", name="开始录制的调解会话").click()
    mediator.wait_for_url("**/mediation/session?**")
    expect(mediator.locator("#recording-notice")).to_be_visible()
    for page in (chen, wang, sofia):
        page.reload()
        page.locator("#join").click()
        page.wait_for_url("**/mediation/session?**")
    mediator.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
    chen.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
    j.plane = mediator.evaluate("window.qiaolinkMedia.plane")
    # everyone by name and role, in the viewer's language, on the list and the tiles
    expect(chen.locator("#people li", has_text="Sofia Rossi")).to_contain_text(IT("Interpreter"))
    expect(chen.locator("#people li", has_text="Wang Fang")).to_contain_text(IT("Party"))
    expect(chen.locator(".tile", has_text="Sofia Rossi")).to_contain_text(
        IT("Interpreter"), timeout=30_000
    )
    expect(mediator.locator(".tile", has_text="Chen Jie")).to_contain_text(ZH("Party"))
    j.seen(mediator, "zh", "mediator-session", keep=False)
    j.seen(chen, "it", "party-session", keep=False)
    mediator.goto(f"{j.hub}/mediation/cases/{j.number}?lang=zh")
    mediator.locator("#note").fill("双方同意部分退还押金。")
    mediator.get_by_role("button", name="保存笔记").click()
    mediator.get_by_role("button", name="结束会话").click()
    for page, person in zip((chen, wang, sofia), PEOPLE[:3], strict=True):
        _party_opens(j, page, person[1], person[4])  # back from the session (camera off)
    return mediator, chen, wang, sofia


def test_two_parties_and_an_interpreter_settle_and_the_package_verifies(
    netns: str, servers: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    began = time.monotonic()
    shots = Shots(tmp_path)
    video = still_video(tmp_path / "camera.y4m")
    args = chromium_args(video, [servers["hub"], servers["node"]])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_in(netns, tmp_path)), args=args, headless=True
        )
        try:
            j = Journey(browser, servers, shots, video)
            mediator, chen, wang, _sofia = _to_the_session_and_out(j, expect)
            assert j.plane == "relay"
            expect(mediator.locator("#next-step")).to_contain_text("起草")
            _take_evidence(j, mediator, expect)

            # the agreement: drafted, signed, changed (the signature voided), signed again
            mediator.locator("#terms").fill(TERMS)
            mediator.get_by_role("button", name="按模板拟定").click()
            expect(mediator.locator("#agreement-state")).to_contain_text("第1稿")
            for page, (_r, name, *_rest) in zip((chen, wang), PEOPLE, strict=False):
                page.reload()
                page.locator("#my-step button").click()
                j.keys[name] = page.locator("#totp-key").inner_text()
            j.seen(chen, "it", "party-authenticator", keep=False)
            kiosk = view_of(browser, "it", "desk", j.faults)
            _kiosk_check(j, kiosk, PEOPLE[0][2], PEOPLE[0][1], expect)
            j.seen(kiosk, "it", "party-sign")
            _sign(
                kiosk,
                j.keys[PEOPLE[0][1]],
                expect,
                "La Sua firma è sul documento. Attendiamo la firma degli altri.",
            )

            mediator.goto(f"{j.hub}/mediation/cases/{j.number}?lang=zh")
            mediator.locator("#terms").fill(CHANGED)
            mediator.get_by_role("button", name="另存为新草稿").click()
            expect(mediator.locator("#voided-1")).to_contain_text("Chen Jie")
            expect(mediator.locator("#agreement-state")).to_contain_text("第2稿")
            j.seen(mediator, "zh", "mediator-voided", keep=False)
            kiosk.reload()
            expect(kiosk.locator(".voided")).to_be_visible()
            j.seen(kiosk, "it", "party-voided", keep=False)
            _sign(
                kiosk,
                j.keys[PEOPLE[0][1]],
                expect,
                "La Sua firma è sul documento. Attendiamo la firma degli altri.",
            )

            _kiosk_check(j, kiosk, PEOPLE[1][2], PEOPLE[1][1], expect, dx=0.04)
            _sign(
                kiosk,
                j.keys[PEOPLE[1][1]],
                expect,
                "La Sua firma è sul documento. Attendiamo la firma degli altri.",
            )

            mediator.goto(f"{j.hub}/mediation/cases/{j.number}?lang=zh")
            mediator.get_by_role("button", name="以调解员身份签署（随后加盖服务中心印章）").click()
            expect(mediator.locator("h1")).to_contain_text("调解成功", timeout=90_000)
            mediator.get_by_role("button", name="生成提交法院的材料包").click()
            with mediator.expect_download() as got:
                mediator.locator("#package").click()
            package = tmp_path / got.value.suggested_filename
            got.value.save_as(package)
            with mediator.expect_download() as got_ca:
                mediator.get_by_role("link", name="服务中心CA证书").click()
            ca = tmp_path / "hub-ca.pem"
            got_ca.value.save_as(ca)
            expect(mediator.locator(".voided")).to_have_count(0)  # everyone signed again
            j.seen(mediator, "zh", "mediator-settled")
            wang.goto(
                f"{j.hub}/mediation/my?number={j.number}&code={j.codes[PEOPLE[1][1]]}&lang=zh"
            )
            expect(wang.locator("#my-step")).to_have_attribute("data-step", "settled")
            j.seen(wang, "zh", "party-settled")
            j.faults.assert_none()
            walked = time.monotonic() - began
            print(f"walked in {walked:.0f} s; steps: {j.laps}")

            # every page again, in the other languages and sizes
            signed_in = mediator.context.storage_state()  # the mediator's browser, as it is
            for lang, size in VIEWS:
                staff = view_of(browser, lang, size, j.faults, storage_state=signed_in)
                for visit in (v for v in j.visits if j.walked[v.name] != (lang, size)):
                    page = (
                        staff
                        if visit.name.startswith("mediator")
                        else view_of(browser, lang, size, j.faults)
                    )
                    page.goto(in_lang(visit.url, lang))
                    check_page_sync(page, lang, shots=shots, name=f"{visit.name}-{lang}-{size}")
                    if page is not staff:
                        page.context.close()
                staff.context.close()
        finally:
            browser.close()
    shots.publish()
    verified = subprocess.run(
        [str(ROOT / ".venv/bin/qiaolink"), "verify", "package", str(package), "--trust", str(ca)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"journey walked in {walked:.0f} s, {len(shots.taken)} screenshots")


def in_lang(url: str, lang: str) -> str:
    base, _, query = url.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith("lang=")]
    return f"{base}?{'&'.join([*kept, f'lang={lang}'])}"


@pytest.fixture
def janus_servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if shutil.which("janus") is None:
        pytest.fail("Debian's janus is needed: apt-get install janus janus-tools")
    args = ("--data", str(tmp_path), "--hub-host", HUB, "--node-host", NODE, "--janus")
    with harness(netns, "test_mediation_servers.py", *args) as printed:
        yield printed


def test_the_mediation_session_on_janus(
    netns: str, janus_servers: dict[str, Any], tmp_path: Path
) -> None:
    """The part of the journey that uses the video session (four people), on Janus."""
    from playwright.sync_api import expect

    origins = [janus_servers["hub"], janus_servers["node"]]
    with camera_browser(netns, tmp_path, origins) as browser:
        j = Journey(browser, janus_servers, Shots(tmp_path), tmp_path / "camera.y4m")
        mediator, *_parties = _to_the_session_and_out(j, expect)
        assert j.plane == "janus"
        expect(mediator.locator("#next-step")).to_contain_text("起草")
        j.faults.assert_none()
