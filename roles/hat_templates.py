"""The library of ready hats for a sales organisation, in Swedish and English.

Each template has, per language, a title, purpose, product, authority, tasks
(area, task, the hat's letters), KPIs (name, target, unit, period) and a
checklist for a new wearer. The text follows the active language; anything but
Swedish gets English.
"""

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class HatTemplate:
    key: str
    title: str
    purpose: str
    product: str
    authority: str
    tasks: tuple  # (area, task, letters)
    kpis: tuple  # (name, target, unit, period)
    checklist: tuple


LIBRARY = {
    "sales_manager": {
        "sv": dict(
            title="Försäljningschef",
            purpose="Leda säljorganisationen så att budgeten nås med lönsamma affärer och "
            "nöjda kunder.",
            product="En säljorganisation där varje säljare vet sitt uppdrag och budgeten nås.",
            authority="Beslutar om säljmål, distrikt, rabatter upp till 15 % och rekrytering "
            "av säljare inom budget.",
            tasks=(
                ("Planering", "Sätta säljbudget och säljmål", "A/R"),
                ("Planering", "Fördela distrikt och kunder", "A/R"),
                ("Uppföljning", "Leda veckans säljmöte", "A/R"),
                ("Uppföljning", "Följa upp pipeline och prognos", "A"),
                ("Offert", "Godkänna rabatter över säljarens mandat", "A/R"),
                ("Personal", "Rekrytera och introducera säljare", "A"),
                ("Personal", "Hålla utvecklingssamtal med säljare", "A/R"),
            ),
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
            tasks=(
                ("Planning", "Set the sales budget and targets", "A/R"),
                ("Planning", "Allocate territories and accounts", "A/R"),
                ("Follow-up", "Run the weekly sales meeting", "A/R"),
                ("Follow-up", "Review pipeline and forecast", "A"),
                ("Quote", "Approve discounts beyond the seller's mandate", "A/R"),
                ("People", "Hire and onboard sellers", "A"),
                ("People", "Hold development reviews with sellers", "A/R"),
            ),
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
            tasks=(
                ("Prospektering", "Boka möten med nya kunder", "R"),
                ("Möte", "Genomföra kundmöten och behovsanalys", "A/R"),
                ("Offert", "Skriva och skicka offerter", "A/R"),
                ("Offert", "Förhandla och stänga affärer", "A/R"),
                ("Uppföljning", "Hålla CRM uppdaterat", "A/R"),
                ("Uppföljning", "Rapportera prognos varje vecka", "R"),
            ),
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
            tasks=(
                ("Prospecting", "Book meetings with new customers", "R"),
                ("Meeting", "Hold customer meetings and needs analysis", "A/R"),
                ("Quote", "Write and send quotes", "A/R"),
                ("Quote", "Negotiate and close deals", "A/R"),
                ("Follow-up", "Keep the CRM up to date", "A/R"),
                ("Follow-up", "Report the forecast every week", "R"),
            ),
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
            tasks=(
                ("Prospektering", "Bygga och rensa ringlistor", "A/R"),
                ("Prospektering", "Ringa och mejla nya leads", "A/R"),
                ("Prospektering", "Boka möten med nya kunder", "A"),
                ("Prospektering", "Kvalificera inkommande leads", "A/R"),
                ("Uppföljning", "Lämna över möten till säljare med anteckningar", "R"),
                ("Uppföljning", "Registrera aktiviteter i CRM", "A/R"),
            ),
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
            tasks=(
                ("Prospecting", "Build and clean call lists", "A/R"),
                ("Prospecting", "Call and email new leads", "A/R"),
                ("Prospecting", "Book meetings with new customers", "A"),
                ("Prospecting", "Qualify inbound leads", "A/R"),
                ("Follow-up", "Hand meetings over to sellers with notes", "R"),
                ("Follow-up", "Log activities in the CRM", "A/R"),
            ),
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
            tasks=(
                ("Nyckelkunder", "Skriva kontoplan per nyckelkund", "A/R"),
                ("Nyckelkunder", "Hålla kvartalsmöten med nyckelkunder", "A/R"),
                ("Offert", "Förhandla ramavtal", "R"),
                ("Offert", "Förnya avtal i tid", "A/R"),
                ("Eftermarknad", "Samordna leveranser till nyckelkunder", "A"),
                ("Uppföljning", "Rapportera kundlönsamhet", "R"),
            ),
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
            tasks=(
                ("Key accounts", "Write an account plan per key account", "A/R"),
                ("Key accounts", "Hold quarterly reviews with key accounts", "A/R"),
                ("Quote", "Negotiate framework agreements", "R"),
                ("Quote", "Renew agreements on time", "A/R"),
                ("Aftersales", "Coordinate deliveries to key accounts", "A"),
                ("Follow-up", "Report customer profitability", "R"),
            ),
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
            tasks=(
                ("Offert", "Ta fram offertunderlag åt säljare", "R"),
                ("Order", "Registrera order", "A/R"),
                ("Order", "Bekräfta leveransdatum till kund", "A/R"),
                ("Eftermarknad", "Hantera reklamationer", "R"),
                ("Eftermarknad", "Svara på kundfrågor i telefon och mejl", "A/R"),
                ("Order", "Uppdatera prislistor i affärssystemet", "R"),
            ),
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
            tasks=(
                ("Quote", "Prepare quote material for sellers", "R"),
                ("Order", "Enter orders", "A/R"),
                ("Order", "Confirm delivery dates to customers", "A/R"),
                ("Aftersales", "Handle complaints", "R"),
                ("Aftersales", "Answer customer questions by phone and email", "A/R"),
                ("Order", "Update price lists in the ERP", "R"),
            ),
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
            tasks=(
                ("Eftermarknad", "Introducera nya kunder (onboarding)", "A/R"),
                ("Eftermarknad", "Följa upp kundernas användning", "A/R"),
                ("Eftermarknad", "Agera på kunder i riskzonen", "A/R"),
                ("Eftermarknad", "Hålla uppföljningsmöten efter leverans", "R"),
                ("Uppföljning", "Lämna merförsäljningsleads till säljare", "R"),
                ("Uppföljning", "Mäta kundnöjdhet", "A"),
            ),
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
            tasks=(
                ("Aftersales", "Onboard new customers", "A/R"),
                ("Aftersales", "Follow customers' usage", "A/R"),
                ("Aftersales", "Act on customers at risk", "A/R"),
                ("Aftersales", "Hold follow-up meetings after delivery", "R"),
                ("Follow-up", "Pass upsell leads to sellers", "R"),
                ("Follow-up", "Measure customer satisfaction", "A"),
            ),
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
            tasks=(
                ("Planering", "Förvalta CRM och behörigheter", "A/R"),
                ("Uppföljning", "Ta fram säljrapporter och prognos", "R"),
                ("Uppföljning", "Säkra datakvalitet i CRM", "A/R"),
                ("Planering", "Beräkna provision", "R"),
                ("Planering", "Dokumentera säljprocessen", "A/R"),
                ("Personal", "Utbilda säljare i system och rutiner", "R"),
            ),
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
            tasks=(
                ("Planning", "Run the CRM and its permissions", "A/R"),
                ("Follow-up", "Produce sales reports and the forecast", "R"),
                ("Follow-up", "Keep CRM data quality high", "A/R"),
                ("Planning", "Calculate commission", "R"),
                ("Planning", "Document the sales process", "A/R"),
                ("People", "Train sellers in systems and routines", "R"),
            ),
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


def language(lang=None):
    lang = (lang or get_language() or "sv").lower()
    return "sv" if lang.startswith("sv") else "en"


def get_template(key, lang=None):
    """The template `key` in the active (or given) language, or None."""
    texts = LIBRARY.get(key)
    if texts is None:
        return None
    return HatTemplate(key=key, **texts[language(lang)])


def all_templates(lang=None):
    return [get_template(key, lang) for key in LIBRARY]


def choices(lang=None):
    return [(t.key, t.title) for t in all_templates(lang)]
