"""Words for evaluation types, conclusions, flags and spot-check states, in the user's language, and
the words spreadsheets use for them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from safetylist.agencies.models import CONCLUSIONS, EVALUATION_TYPES

TYPE_LABELS = {"pre": _l("Pre-evaluation"), "acceptance": _l("Acceptance evaluation"),
               "current": _l("Current-state evaluation"), "special": _l("Special evaluation")}
TYPE_ZH = {"pre": "安全预评价", "acceptance": "安全验收评价", "current": "安全现状评价", "special": "专项安全评价"}
CONCLUSION_LABELS = {"meets": _l("Meets the requirements"), "meets_after_fixes": _l("Meets after rectification"),
                     "does_not_meet": _l("Does not meet the requirements")}
CONCLUSION_ZH = {"meets": "符合", "meets_after_fixes": "整改后符合", "does_not_meet": "不符合"}
SPOT_CHECK_LABELS = {"planned": _l("To inspect"), "in_progress": _l("Being inspected"), "done": _l("Inspected")}
RULE_LABELS = {"busy_evaluator": _l("Evaluators who signed implausibly many reports"),
               "later_accident": _l("Reports for enterprises that later had an accident"),
               "later_major_hazard": _l("Reports that found no problem, then a major hazard was found")}

TYPE_EN = {"pre": "pre-evaluation", "acceptance": "acceptance evaluation", "current": "current-state evaluation",
           "special": "special evaluation"}
CONCLUSION_EN = {"meets": "meets the requirements", "meets_after_fixes": "meets after rectification",
                 "does_not_meet": "does not meet the requirements"}

# How spreadsheets name them: codes, the Chinese terms with and without 安全, the English names.
TYPE_WORDS: dict[str, str] = {}
for _code in EVALUATION_TYPES:
    for _word in (_code, TYPE_ZH[_code], TYPE_ZH[_code].replace("安全", ""), TYPE_EN[_code]):
        TYPE_WORDS[_word] = _code
CONCLUSION_WORDS: dict[str, str] = {}
for _code in CONCLUSIONS:
    for _word in (_code, CONCLUSION_ZH[_code], CONCLUSION_EN[_code]):
        CONCLUSION_WORDS[_word] = _code
CONCLUSION_WORDS.update({"合格": "meets", "不合格": "does_not_meet", "基本符合": "meets_after_fixes",
                         "整改后合格": "meets_after_fixes"})


def agency_labels() -> dict:
    return {"type_labels": TYPE_LABELS, "conclusion_labels": CONCLUSION_LABELS,
            "spot_check_labels": SPOT_CHECK_LABELS, "rule_labels": RULE_LABELS}
