"""The Kazakh working-day calendar used for every deadline of the rules."""

from registry_api.calendar.working_days import DayOffTransfers, WorkingCalendar, load_transfers

__all__ = ["DayOffTransfers", "WorkingCalendar", "load_transfers"]
