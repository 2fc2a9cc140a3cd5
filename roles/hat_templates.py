"""The library of ready hats for a sales organisation, in Swedish and English.

Each template has, per language, a title, purpose, product, authority, KPIs
(name, target, unit, period) and a checklist for a new wearer; and its duties
as (area key, task key, the hat's letters). Areas and tasks have stable keys
with a Swedish and an English name, and other names the library knows mean the
same (a company's own wording), so a template finds an organisation's existing
area or task whichever language it was written in. The text follows the
organisation's language (Organisation.language); anything but Swedish gets
English.
"""

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class Duty:
    area_key: str
    area: str  # the area's name in the template's language
    task_key: str
    task: str  # the task's name in the template's language
    letters: str

    @property
    def area_names(self):
        """Every name the library knows for the area, in either language."""
        return names_of(AREAS[self.area_key])

    @property
    def task_names(self):
        return names_of(TASKS[self.task_key])


@dataclass(frozen=True)
class HatTemplate:
    key: str
    title: str
    purpose: str
    product: str
    authority: str
    duties: tuple  # Duty
    kpis: tuple  # (name, target, unit, period)
    checklist: tuple

    @property
    def tasks(self):
        """(area, task, letters) in the template's language."""
        return tuple((d.area, d.task, d.letters) for d in self.duties)


# key: (Swedish, English, (other names that mean the same))
AREAS = {
    "planning": ("Planering", "Planning", ()),
    "follow_up": ("Uppföljning", "Follow-up", ()),
    "quote": ("Offert", "Quote", ()),
    "people": ("Personal", "People", ()),
    "prospecting": ("Prospektering", "Prospecting", ()),
    "meeting": ("Möte", "Meeting", ()),
    "key_accounts": ("Nyckelkunder", "Key accounts", ()),
    "aftersales": ("Eftermarknad", "Aftersales", ()),
    "order": ("Order", "Order", ()),
}

TASKS = {
    "set_the_sales_budget_and_targets": (
        "Sätta säljbudget och säljmål",
        "Set the sales budget and targets",
        (),
    ),
    "allocate_territories_and_accounts": (
        "Fördela distrikt och kunder",
        "Allocate territories and accounts",
        (),
    ),
    "run_the_weekly_sales_meeting": ("Leda veckans säljmöte", "Run the weekly sales meeting", ()),
    "review_pipeline_and_forecast": (
        "Följa upp pipeline och prognos",
        "Review pipeline and forecast",
        (),
    ),
    "approve_discounts_beyond_the_seller_s_mandate": (
        "Godkänna rabatter över säljarens mandat",
        "Approve discounts beyond the seller's mandate",
        (),
    ),
    "hire_and_onboard_sellers": (
        "Rekrytera och introducera säljare",
        "Hire and onboard sellers",
        (),
    ),
    "hold_development_reviews_with_sellers": (
        "Hålla utvecklingssamtal med säljare",
        "Hold development reviews with sellers",
        (),
    ),
    "book_meetings_with_new_customers": (
        "Boka möten med nya kunder",
        "Book meetings with new customers",
        ("Boka kundmöten",),
    ),
    "hold_customer_meetings_and_needs_analysis": (
        "Genomföra kundmöten och behovsanalys",
        "Hold customer meetings and needs analysis",
        ("Behovsanalys hos kund",),
    ),
    "write_and_send_quotes": (
        "Skriva och skicka offerter",
        "Write and send quotes",
        ("Ta fram offert",),
    ),
    "negotiate_and_close_deals": ("Förhandla och stänga affärer", "Negotiate and close deals", ()),
    "keep_the_crm_up_to_date": (
        "Hålla CRM uppdaterat",
        "Keep the CRM up to date",
        ("Uppdatera affärsmöjligheter i CRM",),
    ),
    "report_the_forecast_every_week": (
        "Rapportera prognos varje vecka",
        "Report the forecast every week",
        (),
    ),
    "build_and_clean_call_lists": (
        "Bygga och rensa ringlistor",
        "Build and clean call lists",
        ("Bygga prospektlistor",),
    ),
    "call_and_email_new_leads": (
        "Ringa och mejla nya leads",
        "Call and email new leads",
        ("Ringa och mejla prospekt",),
    ),
    "qualify_inbound_leads": (
        "Kvalificera inkommande leads",
        "Qualify inbound leads",
        ("Kvalificera leads",),
    ),
    "hand_meetings_over_to_sellers_with_notes": (
        "Lämna över möten till säljare med anteckningar",
        "Hand meetings over to sellers with notes",
        (),
    ),
    "log_activities_in_the_crm": ("Registrera aktiviteter i CRM", "Log activities in the CRM", ()),
    "write_an_account_plan_per_key_account": (
        "Skriva kontoplan per nyckelkund",
        "Write an account plan per key account",
        (),
    ),
    "hold_quarterly_reviews_with_key_accounts": (
        "Hålla kvartalsmöten med nyckelkunder",
        "Hold quarterly reviews with key accounts",
        (),
    ),
    "negotiate_framework_agreements": ("Förhandla ramavtal", "Negotiate framework agreements", ()),
    "renew_agreements_on_time": (
        "Förnya avtal i tid",
        "Renew agreements on time",
        ("Förnya avtal",),
    ),
    "coordinate_deliveries_to_key_accounts": (
        "Samordna leveranser till nyckelkunder",
        "Coordinate deliveries to key accounts",
        (),
    ),
    "report_customer_profitability": (
        "Rapportera kundlönsamhet",
        "Report customer profitability",
        (),
    ),
    "prepare_quote_material_for_sellers": (
        "Ta fram offertunderlag åt säljare",
        "Prepare quote material for sellers",
        (),
    ),
    "enter_orders": ("Registrera order", "Enter orders", ("Registrera order",)),
    "confirm_delivery_dates_to_customers": (
        "Bekräfta leveransdatum till kund",
        "Confirm delivery dates to customers",
        ("Orderbekräftelse till kund",),
    ),
    "handle_complaints": ("Hantera reklamationer", "Handle complaints", ("Reklamationer",)),
    "answer_customer_questions_by_phone_and_email": (
        "Svara på kundfrågor i telefon och mejl",
        "Answer customer questions by phone and email",
        (),
    ),
    "update_price_lists_in_the_erp": (
        "Uppdatera prislistor i affärssystemet",
        "Update price lists in the ERP",
        (),
    ),
    "onboard_new_customers": (
        "Introducera nya kunder (onboarding)",
        "Onboard new customers",
        (),
    ),
    "follow_customers_usage": ("Följa upp kundernas användning", "Follow customers' usage", ()),
    "act_on_customers_at_risk": ("Agera på kunder i riskzonen", "Act on customers at risk", ()),
    "hold_follow_up_meetings_after_delivery": (
        "Hålla uppföljningsmöten efter leverans",
        "Hold follow-up meetings after delivery",
        (),
    ),
    "pass_upsell_leads_to_sellers": (
        "Lämna merförsäljningsleads till säljare",
        "Pass upsell leads to sellers",
        (),
    ),
    "measure_customer_satisfaction": (
        "Mäta kundnöjdhet",
        "Measure customer satisfaction",
        ("Mäta kundnöjdhet",),
    ),
    "run_the_crm_and_its_permissions": (
        "Förvalta CRM och behörigheter",
        "Run the CRM and its permissions",
        (),
    ),
    "produce_sales_reports_and_the_forecast": (
        "Ta fram säljrapporter och prognos",
        "Produce sales reports and the forecast",
        (),
    ),
    "keep_crm_data_quality_high": ("Säkra datakvalitet i CRM", "Keep CRM data quality high", ()),
    "calculate_commission": ("Beräkna provision", "Calculate commission", ("Provisionsberäkning",)),
    "document_the_sales_process": ("Dokumentera säljprocessen", "Document the sales process", ()),
    "train_sellers_in_systems_and_routines": (
        "Utbilda säljare i system och rutiner",
        "Train sellers in systems and routines",
        (),
    ),
}

# The duties of each template: (area key, task key, the hat's letters).
DUTIES = {
    "sales_manager": (
        ("planning", "set_the_sales_budget_and_targets", "A/R"),
        ("planning", "allocate_territories_and_accounts", "A/R"),
        ("follow_up", "run_the_weekly_sales_meeting", "A/R"),
        ("follow_up", "review_pipeline_and_forecast", "A"),
        ("quote", "approve_discounts_beyond_the_seller_s_mandate", "A/R"),
        ("people", "hire_and_onboard_sellers", "A"),
        ("people", "hold_development_reviews_with_sellers", "A/R"),
    ),
    "account_executive": (
        ("prospecting", "book_meetings_with_new_customers", "R"),
        ("meeting", "hold_customer_meetings_and_needs_analysis", "A/R"),
        ("quote", "write_and_send_quotes", "A/R"),
        ("quote", "negotiate_and_close_deals", "A/R"),
        ("follow_up", "keep_the_crm_up_to_date", "A/R"),
        ("follow_up", "report_the_forecast_every_week", "R"),
    ),
    "sdr": (
        ("prospecting", "build_and_clean_call_lists", "A/R"),
        ("prospecting", "call_and_email_new_leads", "A/R"),
        ("prospecting", "book_meetings_with_new_customers", "A"),
        ("prospecting", "qualify_inbound_leads", "A/R"),
        ("follow_up", "hand_meetings_over_to_sellers_with_notes", "R"),
        ("follow_up", "log_activities_in_the_crm", "A/R"),
    ),
    "key_account_manager": (
        ("key_accounts", "write_an_account_plan_per_key_account", "A/R"),
        ("key_accounts", "hold_quarterly_reviews_with_key_accounts", "A/R"),
        ("quote", "negotiate_framework_agreements", "R"),
        ("quote", "renew_agreements_on_time", "A/R"),
        ("aftersales", "coordinate_deliveries_to_key_accounts", "A"),
        ("follow_up", "report_customer_profitability", "R"),
    ),
    "sales_support": (
        ("quote", "prepare_quote_material_for_sellers", "R"),
        ("order", "enter_orders", "A/R"),
        ("order", "confirm_delivery_dates_to_customers", "A/R"),
        ("aftersales", "handle_complaints", "R"),
        ("aftersales", "answer_customer_questions_by_phone_and_email", "A/R"),
        ("order", "update_price_lists_in_the_erp", "R"),
    ),
    "customer_success": (
        ("aftersales", "onboard_new_customers", "A/R"),
        ("aftersales", "follow_customers_usage", "A/R"),
        ("aftersales", "act_on_customers_at_risk", "A/R"),
        ("aftersales", "hold_follow_up_meetings_after_delivery", "R"),
        ("follow_up", "pass_upsell_leads_to_sellers", "R"),
        ("follow_up", "measure_customer_satisfaction", "A"),
    ),
    "sales_operations": (
        ("planning", "run_the_crm_and_its_permissions", "A/R"),
        ("follow_up", "produce_sales_reports_and_the_forecast", "R"),
        ("follow_up", "keep_crm_data_quality_high", "A/R"),
        ("planning", "calculate_commission", "R"),
        ("planning", "document_the_sales_process", "A/R"),
        ("people", "train_sellers_in_systems_and_routines", "R"),
    ),
}

LIBRARY = {
    "sales_manager": {
        "sv": dict(
            title="Försäljningschef",
            purpose="Leda säljorganisationen så att budgeten nås med lönsamma affärer och "
            "nöjda kunder.",
            product="En säljorganisation där varje säljare vet sitt uppdrag och budgeten nås.",
            authority="Beslutar om säljmål, distrikt, rabatter upp till 15 % och rekrytering "
            "av säljare inom budget.",
            kpis=(
                ("Orderingång mot budget", "100", "%", "månad"),
                ("Bruttomarginal", "35", "%", "kvartal"),
                ("Prognosträffsäkerhet", "90", "%", "kvartal"),
            ),
            checklist=(
                "Gå igenom budget och säljmål med VD",
                "Träffa varje säljare enskilt",
                "Lär dig CRM-systemets rapporter",
                "Läs rabatt- och prispolicyn",
            ),
        ),
        "en": dict(
            title="Sales manager",
            purpose="Lead the sales organisation so that the budget is met with profitable "
            "deals and satisfied customers.",
            product="A sales team in which every seller knows their job and the budget is met.",
            authority="Decides sales targets, territories, discounts up to 15 % and hiring of "
            "sellers within budget.",
            kpis=(
                ("Order intake vs budget", "100", "%", "month"),
                ("Gross margin", "35", "%", "quarter"),
                ("Forecast accuracy", "90", "%", "quarter"),
            ),
            checklist=(
                "Go through budget and targets with the CEO",
                "Meet every seller one to one",
                "Learn the CRM reports",
                "Read the discount and pricing policy",
            ),
        ),
    },
    "account_executive": {
        "sv": dict(
            title="Säljare",
            purpose="Vinna nya affärer och utveckla befintliga kunder i sitt distrikt.",
            product="Lönsamma order från nöjda kunder, registrerade i CRM.",
            authority="Beslutar om offerter och rabatter upp till 5 % inom prislistan.",
            kpis=(
                ("Kundmöten", "8", "st", "vecka"),
                ("Orderingång", "1,5", "MSEK", "kvartal"),
                ("Offertkonvertering", "30", "%", "kvartal"),
            ),
            checklist=(
                "Lär dig sortimentet och prislistan",
                "Gå igenom dina kunder i CRM",
                "Följ med en erfaren säljare på tre möten",
                "Läs rabattpolicyn",
            ),
        ),
        "en": dict(
            title="Account executive",
            purpose="Win new business and grow existing customers in the territory.",
            product="Profitable orders from satisfied customers, recorded in the CRM.",
            authority="Decides quotes and discounts up to 5 % within the price list.",
            kpis=(
                ("Customer meetings", "8", "meetings", "week"),
                ("Order intake", "150 000", "EUR", "quarter"),
                ("Quote conversion", "30", "%", "quarter"),
            ),
            checklist=(
                "Learn the product range and price list",
                "Go through your accounts in the CRM",
                "Join an experienced seller on three meetings",
                "Read the discount policy",
            ),
        ),
    },
    "sdr": {
        "sv": dict(
            title="Innesäljare",
            purpose="Skapa kvalificerade möten åt säljarna genom uppsökande kontakt.",
            product="Bokade, kvalificerade möten i säljarnas kalendrar.",
            authority="Beslutar om vilka leads som kvalificeras och lämnas till säljare.",
            kpis=(
                ("Samtal", "60", "st", "dag"),
                ("Bokade möten", "12", "st", "vecka"),
                ("Genomförda möten", "80", "%", "månad"),
            ),
            checklist=(
                "Lär dig kundprofilen (ICP)",
                "Öva samtalsmanuset med säljchefen",
                "Lär dig boka i säljarnas kalendrar",
            ),
        ),
        "en": dict(
            title="Sales development representative",
            purpose="Create qualified meetings for the sellers through outbound contact.",
            product="Booked, qualified meetings in the sellers' calendars.",
            authority="Decides which leads are qualified and handed to sellers.",
            kpis=(
                ("Calls", "60", "calls", "day"),
                ("Meetings booked", "12", "meetings", "week"),
                ("Meetings held", "80", "%", "month"),
            ),
            checklist=(
                "Learn the ideal customer profile",
                "Practise the call script with the sales manager",
                "Learn to book in the sellers' calendars",
            ),
        ),
    },
    "key_account_manager": {
        "sv": dict(
            title="Key account manager",
            purpose="Behålla och utveckla de största kunderna långsiktigt.",
            product="Växande, lönsamma nyckelkunder med avtal och kontoplaner.",
            authority="Beslutar om kontoplaner och villkor inom ramavtalen.",
            kpis=(
                ("Tillväxt hos nyckelkunder", "10", "%", "år"),
                ("Förnyade avtal", "95", "%", "år"),
                ("Kundnöjdhet (NPS)", "50", "", "halvår"),
            ),
            checklist=(
                "Läs alla ramavtal för dina kunder",
                "Träffa kundernas beslutsfattare",
                "Gå igenom leveranshistoriken med säljsupport",
            ),
        ),
        "en": dict(
            title="Key account manager",
            purpose="Keep and grow the largest customers over the long term.",
            product="Growing, profitable key accounts with agreements and account plans.",
            authority="Decides account plans and terms within the framework agreements.",
            kpis=(
                ("Key account growth", "10", "%", "year"),
                ("Agreements renewed", "95", "%", "year"),
                ("Customer satisfaction (NPS)", "50", "", "half year"),
            ),
            checklist=(
                "Read every framework agreement of your accounts",
                "Meet the customers' decision makers",
                "Go through delivery history with sales support",
            ),
        ),
    },
    "sales_support": {
        "sv": dict(
            title="Säljsupport",
            purpose="Ge säljarna och kunderna snabb och korrekt hjälp från offert till leverans.",
            product="Korrekta offerter, order och leveransbesked i tid.",
            authority="Beslutar om orderregistrering och leveransdatum enligt lager.",
            kpis=(
                ("Orderbekräftelse inom", "24", "timmar", "order"),
                ("Felfria order", "98", "%", "månad"),
            ),
            checklist=(
                "Lär dig affärssystemets orderflöde",
                "Gå igenom leveransvillkoren",
                "Lär dig reklamationsrutinen",
            ),
        ),
        "en": dict(
            title="Sales support",
            purpose="Give sellers and customers fast, correct help from quote to delivery.",
            product="Correct quotes, orders and delivery confirmations on time.",
            authority="Decides order entry and delivery dates according to stock.",
            kpis=(
                ("Order confirmed within", "24", "hours", "order"),
                ("Error-free orders", "98", "%", "month"),
            ),
            checklist=(
                "Learn the order flow in the ERP",
                "Go through the delivery terms",
                "Learn the complaints procedure",
            ),
        ),
    },
    "customer_success": {
        "sv": dict(
            title="Customer success manager",
            purpose="Se till att kunderna får värde av det de köpt, så att de stannar "
            "och köper mer.",
            product="Aktiva, nöjda kunder som förnyar och växer.",
            authority="Beslutar om introduktionsplan och insatser för kunder i riskzonen.",
            kpis=(
                ("Kundbortfall (churn)", "5", "%", "år"),
                ("Kundnöjdhet (NPS)", "50", "", "kvartal"),
                ("Tid till första värde", "30", "dagar", "kund"),
            ),
            checklist=(
                "Lär dig produkten som en kund",
                "Gå igenom kunderna i riskzonen",
                "Läs de senaste kundundersökningarna",
            ),
        ),
        "en": dict(
            title="Customer success manager",
            purpose="Make sure customers get value from what they bought, so they stay and buy "
            "more.",
            product="Active, satisfied customers who renew and grow.",
            authority="Decides onboarding plans and actions for customers at risk.",
            kpis=(
                ("Churn", "5", "%", "year"),
                ("Customer satisfaction (NPS)", "50", "", "quarter"),
                ("Time to first value", "30", "days", "customer"),
            ),
            checklist=(
                "Learn the product as a customer would",
                "Go through the customers at risk",
                "Read the latest customer surveys",
            ),
        ),
    },
    "sales_operations": {
        "sv": dict(
            title="Säljoperations",
            purpose="Ge säljorganisationen system, data och rutiner som gör säljarna effektiva.",
            product="Ett rent CRM, tillförlitliga rapporter och tydliga säljprocesser.",
            authority="Beslutar om CRM-konfiguration, fält och rapporter.",
            kpis=(
                ("Kompletta affärsmöjligheter i CRM", "95", "%", "månad"),
                ("Rapporter levererade i tid", "100", "%", "månad"),
            ),
            checklist=(
                "Få administratörsbehörighet i CRM",
                "Gå igenom rapporterna med försäljningschefen",
                "Läs provisionsmodellen",
            ),
        ),
        "en": dict(
            title="Sales operations",
            purpose="Give the sales organisation the systems, data and routines that make "
            "sellers effective.",
            product="A clean CRM, reliable reports and clear sales processes.",
            authority="Decides CRM configuration, fields and reports.",
            kpis=(
                ("Complete opportunities in the CRM", "95", "%", "month"),
                ("Reports delivered on time", "100", "%", "month"),
            ),
            checklist=(
                "Get admin rights in the CRM",
                "Go through the reports with the sales manager",
                "Read the commission model",
            ),
        ),
    },
}


def names_of(entry):
    sv, en, others = entry
    return (sv, en, *others)


def language(lang=None):
    lang = (lang or get_language() or "sv").lower()
    return "sv" if lang.startswith("sv") else "en"


def get_template(key, lang=None):
    """The template `key` in the active (or given) language, or None."""
    texts = LIBRARY.get(key)
    if texts is None:
        return None
    lang = language(lang)
    duties = tuple(
        Duty(
            area_key=area,
            area=AREAS[area][0 if lang == "sv" else 1],
            task_key=task,
            task=TASKS[task][0 if lang == "sv" else 1],
            letters=letters,
        )
        for area, task, letters in DUTIES[key]
    )
    return HatTemplate(key=key, duties=duties, **texts[lang])


def all_templates(lang=None):
    return [get_template(key, lang) for key in LIBRARY]


def choices(lang=None):
    return [(t.key, t.title) for t in all_templates(lang)]
