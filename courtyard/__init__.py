"""Courtyard: a property management system (物业管理系统)."""
