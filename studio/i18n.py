"""The Studio's words in Korean and English (Korean first, as on the kiosk).

:func:`t` looks up a key for a language (``ko`` or ``en``) and fills ``{placeholders}``; an unknown
key shows itself, so a missing translation is visible rather than an error. Setting docs come
from the config schema and are English in both languages.
"""

from __future__ import annotations

LANGS = ("ko", "en")

WORDS: dict[str, tuple[str, str]] = {
    "studio": ("큐레이터 스튜디오", "Curator Studio"),
    "nav.status": ("상태", "Status"),
    "nav.playlist": ("재생 목록·운영 시간", "Playlist & hours"),
    "nav.landmarks": ("명소", "Landmarks"),
    "nav.preview": ("미리 보기", "Preview"),
    "nav.publish": ("검사·게시", "Check & publish"),
    "nav.history": ("기록", "History"),
    "logout": ("로그아웃", "Log out"),
    "login.title": ("로그인", "Log in"),
    "login.pin": ("관리자 PIN", "Admin PIN"),
    "login.who": ("이름 (기록에 남습니다)", "Your name (kept in the history)"),
    "login.button": ("로그인", "Log in"),
    "login.no_pin": ("관리자 PIN이 설정되지 않아 스튜디오에 로그인할 수 없습니다. 기술 담당자가 "
                     "`python kiosk.py pin 새PIN` 을 실행하고 출력된 pin_hash 줄을 config.toml의 "
                     "[admin] 아래에 붙여 넣어야 합니다.",
                     "No admin PIN is set, so nobody can log in to the Studio. A technician runs "
                     "`python kiosk.py pin NEW_PIN` and pastes the pin_hash line it prints under "
                     "[admin] in config.toml."),
    "login.public_hash": ("config.toml의 PIN은 공개된 PIN이라 사용할 수 없습니다. "
                          "`python kiosk.py pin 새PIN` 으로 새 PIN을 설정하세요.",
                          "The PIN in config.toml is a publicly known one and opens nothing; set "
                          "your own with `python kiosk.py pin NEW_PIN`."),
    "login.wrong": ("PIN이 틀렸습니다. 남은 시도: {left}", "Wrong PIN. Attempts left: {left}"),
    "login.locked": ("PIN을 여러 번 틀려 잠겼습니다. {seconds}초 후에 다시 시도하세요.",
                     "Locked after too many wrong PINs. Try again in {seconds} s."),
    "login.csrf": ("페이지가 오래되었습니다. 다시 시도하세요.", "The page was stale; try again."),
    "draft.none": ("초안 없음: 게시된 설정과 같습니다", "No draft: this is the published config"),
    "draft.some": ("초안 있음 (게시 전)", "Draft (not published yet)"),
    "draft.problems": ("문제 {n}개", "{n} problem(s)"),
    "draft.ok": ("검사 통과", "passes the check"),
    "draft.review": ("검토 후 게시", "Review & publish"),
    "save": ("초안에 저장", "Save to draft"),
    "saved": ("초안에 저장했습니다.", "Saved to the draft."),
    "saved.rewritten": ("초안에 저장했습니다 (파일을 새로 써서 주석이 사라졌습니다).",
                        "Saved to the draft (the file had to be rewritten; comments were lost)."),
    "nochange": ("바뀐 것이 없습니다.", "Nothing changed."),
    "default": ("기본값", "default"),
    "range": ("범위", "range"),
    "chars": ("최대 {n}자", "at most {n} characters"),
    "fits": ("화면에 맞음", "fits"),
    "too_long": ("너무 깁니다", "too long"),
    "fit.of": ("1080p 화면에서 폭의 {percent}% 사용", "{percent}% of its room on a 1080p screen"),
    "colours.add": ("색 추가", "add a colour"),
    "colours.remove": ("빼기", "remove"),
    "playlist.title": ("재생 목록", "Playlist"),
    "playlist.exhibit": ("전시", "Exhibit"),
    "playlist.duration": ("시간 (초)", "Duration (s)"),
    "playlist.add": ("전시 추가", "Add an exhibit"),
    "playlist.remove": ("빼기", "Remove"),
    "playlist.up": ("위로", "Up"),
    "section.exhibit": ("전시 설정", "Exhibit settings"),
    "section.transition": ("전환", "Transitions"),
    "section.visits": ("관람과 대기 화면", "Visits & attract mode"),
    "section.schedule": ("운영 시간과 휴관 화면", "Opening hours & the closed screen"),
    "other_problems": ("다른 페이지의 문제", "Problems on other pages"),
    "lm.title": ("명소 목록", "Landmarks"),
    "lm.rule": ("새 장소는 좌표를 읽은 출처(coord_source)가 있어야 합니다. 출처 없는 좌표는 "
                "검사에서 거부됩니다.",
                "A new place needs the source its coordinates were read from (coord_source); "
                "a row without it is refused by the check."),
    "lm.add": ("장소 추가", "Add a place"),
    "lm.remove": ("삭제", "Remove"),
    "lm.map": ("전시 화면의 지도 위치", "Where each place lands on the exhibit's map"),
    "lm.outside": ("이 명소 파일은 assets/ 밖에 있어 스튜디오에서 고칠 수 없습니다.",
                   "This landmark file lies outside assets/; the Studio does not edit it."),
    "lm.file": ("파일", "File"),
    "pv.title": ("미리 보기", "Preview"),
    "pv.help": ("초안 설정과 가상 관람객으로 전시를 몇 초 렌더링합니다 (키오스크보다 낮은 "
                "우선순위, 한 번에 하나).",
                "Renders a few seconds of the exhibit with the draft settings and simulated "
                "visitors (at a lower priority than the kiosk, one at a time)."),
    "pv.exhibit": ("전시", "Exhibit"),
    "pv.stills": ("정지 화면 (초, 쉼표로 구분)", "Still frames at (seconds, comma-separated)"),
    "pv.start": ("미리 보기 만들기", "Render preview"),
    "pv.busy": ("다른 미리 보기를 렌더링하는 중입니다.", "Another preview is rendering."),
    "pv.starting": ("준비 중…", "Starting…"),
    "pv.rendering": ("렌더링 중", "Rendering"),
    "pv.encoding": ("동영상 만드는 중", "Making the video"),
    "pv.done": ("완료", "Done"),
    "pv.failed": ("실패", "Failed"),
    "pv.timeout": ("시간 초과로 중지됨", "Stopped: took too long"),
    "pub.title": ("검사와 게시", "Check & publish"),
    "pub.diff": ("게시하면 바뀌는 내용", "What publishing changes"),
    "pub.button": ("게시", "Publish"),
    "pub.refused": ("초안에 문제가 있어 게시할 수 없습니다.",
                    "The draft has problems and cannot be published."),
    "pub.done": ("게시했습니다. 실행 중인 키오스크가 곧 새 설정을 읽습니다 (관람 중이면 관람이 "
                 "끝난 뒤).",
                 "Published. The running kiosk picks it up in a few seconds (after the current "
                 "visit, if someone is using it)."),
    "pub.discard": ("초안 버리기", "Discard the draft"),
    "pub.discarded": ("초안을 버렸습니다.", "The draft was discarded."),
    "pub.ok": ("문제 없음: 게시할 수 있습니다.", "No problems: ready to publish."),
    "hist.title": ("기록", "History"),
    "hist.file": ("파일", "File"),
    "hist.who": ("누가", "Who"),
    "hist.when": ("언제", "When"),
    "hist.what": ("무엇", "What"),
    "hist.diff": ("차이 보기", "Diff"),
    "hist.rollback": ("이 버전으로 되돌리기", "Roll back to this"),
    "hist.rolled": ("버전 {id}(으)로 되돌렸습니다.", "Rolled back to version {id}."),
    "hist.empty": ("아직 게시한 적이 없습니다.", "Nothing published yet."),
    "st.title": ("키오스크 상태", "Kiosk status"),
    "st.health_off": ("상태 확인 창구가 꺼져 있습니다: 기술 담당자가 config.toml의 [health] "
                      "port를 설정하면 (예: 8787) 여기 표시됩니다.",
                      "The health endpoint is off: a technician sets [health] port in "
                      "config.toml (e.g. 8787) to show the kiosk's health here."),
    "st.unreachable": ("키오스크에 연결할 수 없습니다 ({why}). 키오스크가 실행 중인가요?",
                       "Cannot reach the kiosk ({why}). Is it running?"),
    "st.report": ("큐레이터 보고서", "Curator report"),
    "st.make_report": ("보고서 만들기", "Make the report"),
    "st.no_report": ("아직 보고서가 없습니다.", "No report yet."),
    "st.published": ("게시된 설정", "Published config"),
    "csrf": ("보안 토큰이 맞지 않아 거부했습니다. 페이지를 새로 고치세요.",
             "Refused: the form's security token did not match. Reload the page."),
}


def t(lang: str, key: str, **values) -> str:
    """The text of ``key`` in ``lang`` with ``{placeholders}`` filled."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "ko" else pair[1]
    return text.format(**values) if values else text
