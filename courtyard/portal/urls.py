from django.urls import path

from . import views
from .bills import views as bill_views
from .notices import views as notice_views
from .repairs import views as repair_views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("home/", views.my_home, name="my_home"),
    path("messages/", views.inbox, name="messages"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password, name="password"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("activate/", views.activate, name="activate"),
    path("logout/", views.logout_view, name="logout"),
    path("repairs/", repair_views.repair_list, name="repairs"),
    path("repairs/new/", repair_views.repair_new, name="repair_new"),
    path("repairs/<int:pk>/", repair_views.repair_detail, name="repair_detail"),
    path("repairs/<int:pk>/confirm/", repair_views.repair_confirm, name="repair_confirm"),
    path("repairs/<int:pk>/reject/", repair_views.repair_reject, name="repair_reject"),
    path("repairs/<int:pk>/rate/", repair_views.repair_rate, name="repair_rate"),
    path("repairs/<int:pk>/cancel/", repair_views.repair_cancel, name="repair_cancel"),
    path("bills/", bill_views.bill_list, name="bills"),
    path("bills/how-to-pay/", bill_views.how_to_pay, name="bill_how_to_pay"),
    path("bills/<int:pk>/", bill_views.bill_detail, name="bill_detail"),
    path("payments/", bill_views.payment_list, name="payments"),
    path("payments/<int:pk>/receipt/", bill_views.payment_receipt, name="payment_receipt"),
    path("notices/", notice_views.notice_list, name="notices"),
    path("notices/<int:pk>/", notice_views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/like/", notice_views.notice_like, name="notice_like"),
    path("notices/<int:pk>/unlike/", notice_views.notice_unlike, name="notice_unlike"),
    path("notices/<int:pk>/comment/", notice_views.notice_comment, name="notice_comment"),
    path("notices/<int:pk>/confirm/", notice_views.notice_confirm, name="notice_confirm"),
]
