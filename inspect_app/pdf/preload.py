"""Imported by the worker's fork server: WeasyPrint, the fonts and the stylesheet ready before any child
is forked, so each child starts rendering at once and never loads fonts under its memory limit."""

from .engine import warm_up

warm_up()
