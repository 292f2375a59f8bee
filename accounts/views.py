from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from accounts.services import user_update_profile


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            user_update_profile(
                user=request.user,
                full_name=form.cleaned_data["full_name"],
                time_zone=form.cleaned_data["time_zone"],
            )
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:account")
    else:
        form = ProfileForm(
            initial={"full_name": request.user.full_name, "time_zone": request.user.time_zone}
        )
    return render(request, "accounts/account.html", {"form": form})
