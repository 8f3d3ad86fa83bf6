"""Inspections: planning and the annual plan's import (planning.py), the checklist, answers and photos
(answers.py), submitting and reopening (submission.py), scoring after the self-assessment standard
(scoring.py), one inspection as the pages and the API show it (view.py), and the list and an answer sheet as
spreadsheets (sheets.py)."""

from . import scoring
from .answers import (
    REPEAT_WINDOW,
    AnswerConflict,
    AnswerInput,
    ClassifiedSuspected,
    add_photo,
    is_complete,
    items_by_id,
    load_answers,
    load_items,
    photos_by_item,
    progress,
    remove_photo,
    repeat_suggestions,
    save_answer,
    step_up,
)
from .planning import (
    MAX_PLAN_ROWS,
    InspectionFilter,
    cancel_inspection,
    import_plan,
    is_lead,
    is_team_member,
    plan_inspection,
    search,
    team_candidates,
)
from .sheets import answer_sheet, describe_inspection_filters, inspections_export
from .submission import SignatureInput, compute_score, reopen_inspection, scored_items, submit_inspection
from .view import InspectionView, inspection_view, photo_of

__all__ = [
    "MAX_PLAN_ROWS",
    "REPEAT_WINDOW",
    "AnswerConflict",
    "AnswerInput",
    "ClassifiedSuspected",
    "InspectionFilter",
    "InspectionView",
    "SignatureInput",
    "add_photo",
    "answer_sheet",
    "cancel_inspection",
    "compute_score",
    "describe_inspection_filters",
    "import_plan",
    "inspection_view",
    "inspections_export",
    "is_complete",
    "is_lead",
    "is_team_member",
    "items_by_id",
    "load_answers",
    "load_items",
    "photo_of",
    "photos_by_item",
    "plan_inspection",
    "progress",
    "remove_photo",
    "reopen_inspection",
    "repeat_suggestions",
    "save_answer",
    "scored_items",
    "scoring",
    "search",
    "step_up",
    "submit_inspection",
    "team_candidates",
]
