from scheduling.views import calendar, patient, practice

urlpatterns = [*patient.urlpatterns, *practice.urlpatterns, *calendar.urlpatterns]
