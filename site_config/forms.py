from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Renders every form and field through the site's own partials (templates/components/), so
    labels, help and errors look and sit the same on every page, allauth's included."""

    form_template_name = "components/_form.html"
    field_template_name = "components/_field.html"
