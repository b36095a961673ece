"""Reminder and supervision cards (提醒卡, 督办卡) as documents and worklists."""
