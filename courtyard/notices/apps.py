from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "courtyard.notices"
    label = "notices"
    verbose_name = _("Announcements")

    def ready(self):
        from courtyard.core import modules
        from courtyard.core.approvals import services as approvals

        from . import message_texts, services  # noqa: F401  (registers the message text)

        modules.attach("notices", app_label="notices")
        approvals.register_kind(
            services.APPROVAL_KIND,
            label=_("Announcement"),
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
        )

        # Staff pages: nav entries and the unread list's export job.
        from courtyard.core.modules import NavItem

        from . import jobs  # noqa: F401  (registers the export handler)

        modules.attach(
            "notices",
            nav=[
                NavItem(_("Announcement list"), "notices:notice_list", "notices.view_notice"),
                NavItem(_("New announcement"), "notices:notice_add", "notices.add_notice"),
                NavItem(_("Templates"), "notices:template_list", "notices.view_noticetemplate"),
            ],
        )
