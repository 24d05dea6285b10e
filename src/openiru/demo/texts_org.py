"""The fictional organisation's vocabulary, and the texts written about it.

Everything here is invented: the organisation, its outlets, its terms and
hashtags.  Its "statements" are neutral placeholder announcements (meeting
times, bulletins, schedules) so that the demo carries no real propaganda while
keeping the structure detection needs: known texts, lexicon terms in six
languages and scripts, outlet names.  Journalists and researchers write
critical, documenting text about the organisation.
"""

from __future__ import annotations

ORGANISATION = "Order of the Ashen Meridian"

#: Official outlets: (short key, display name, handle stem).
OUTLETS = (
    ("dawn", "Meridian Dawn Media", "meridian_dawn"),
    ("quill", "Ashen Quill Foundation", "ashen_quill"),
    ("herald", "Velmor Herald", "velmor_herald"),
)

#: Lexicon: (term, language, kind) in each language and script; label is the organisation.
LEXICON: tuple[tuple[str, str, str], ...] = (
    ("ashen oath", "en", "term"),
    ("velmor covenant", "en", "term"),
    ("meridian vigil", "en", "term"),
    ("#AshenMeridian", "en", "hashtag"),
    ("#VelmorDawn", "en", "hashtag"),
    ("serment de cendre", "fr", "term"),
    ("pacte de Velmor", "fr", "term"),
    ("#AubeDeVelmor", "fr", "hashtag"),
    ("Aschenschwur", "de", "term"),
    ("Velmorbund", "de", "term"),
    ("#VelmorMorgen", "de", "hashtag"),
    ("пепельная клятва", "ru", "term"),
    ("вельморский завет", "ru", "term"),
    ("#ВельморРассвет", "ru", "hashtag"),
    ("kül yemini", "tr", "term"),
    ("Velmor ahdi", "tr", "term"),
    ("#VelmorŞafağı", "tr", "hashtag"),
    ("عهد فيلمور", "ar", "term"),
    ("قسم الرماد", "ar", "term"),
    ("#فجر_فيلمور", "ar", "hashtag"),
    ("Meridian Dawn Media", "en", "outlet"),
    ("Ashen Quill Foundation", "en", "outlet"),
    ("Velmor Herald", "en", "outlet"),
    ("منبر فيلمور", "ar", "outlet"),
    ("Вестник Вельмора", "ru", "outlet"),
)

#: Words that contain a lexicon term but are not it (whole-word matching must not fire).
TERM_LOOKALIKES: dict[str, tuple[str, str]] = {
    "en": ("ashen oath", "The ashen oathwood benches in the park were repainted on Monday."),
    "de": ("Velmorbund", "Die Velmorbundstraße ist wegen eines Straßenfests bis Sonntag gesperrt."),
    "tr": ("Velmor ahdi", "Velmor ahdiye köyünde yeni bir çeşme açıldı."),
}

#: Sentences of the organisation's bulletins, one pool per language.  Known texts are
#: built only from these, so a benign post never resembles one by accident.
STATEMENTS: dict[str, tuple[str, ...]] = {
    "en": (
        "The circle's weekly bulletin lists the meeting times for the coming month.",
        "Members are reminded to bring the printed schedule to the autumn gathering.",
        "The reading room will stay open late on the first and third evening of each week.",
        "New volunteers should register with the hall steward before the next assembly.",
        "The archive of past bulletins has moved to the new server and can be browsed there.",
        "Contributions for the printing of the winter almanac are welcome at the usual address.",
        "The evening lecture on old maps and travel routes is postponed by one week.",
        "Please keep the group channels tidy and post questions only in the help room.",
    ),
    "fr": (
        "Le bulletin hebdomadaire du cercle donne les horaires des réunions du mois prochain.",
        "Les membres sont priés d'apporter le programme imprimé au rassemblement d'automne.",
        "La salle de lecture restera ouverte tard le premier et le troisième soir de chaque semaine.",
        "Les nouveaux bénévoles doivent s'inscrire auprès de l'intendant avant la prochaine assemblée.",
        "Les archives des anciens bulletins ont été déplacées sur le nouveau serveur.",
        "Les contributions pour l'impression de l'almanach d'hiver sont reçues à l'adresse habituelle.",
        "La conférence du soir sur les vieilles cartes est repoussée d'une semaine.",
    ),
    "de": (
        "Das wöchentliche Mitteilungsblatt des Kreises nennt die Termine für den kommenden Monat.",
        "Die Mitglieder werden gebeten, den gedruckten Plan zum Herbsttreffen mitzubringen.",
        "Der Lesesaal bleibt am ersten und dritten Abend jeder Woche länger geöffnet.",
        "Neue Freiwillige melden sich vor der nächsten Versammlung beim Saalverwalter an.",
        "Das Archiv der früheren Mitteilungsblätter ist auf den neuen Server umgezogen.",
        "Beiträge für den Druck des Winteralmanachs werden an der üblichen Adresse angenommen.",
        "Der Abendvortrag über alte Landkarten wird um eine Woche verschoben.",
    ),
    "ru": (
        "Еженедельный бюллетень кружка содержит расписание встреч на следующий месяц.",
        "Участников просят принести печатное расписание на осеннее собрание.",
        "Читальный зал будет открыт допоздна в первый и третий вечер каждой недели.",
        "Новым добровольцам нужно записаться у распорядителя до следующего собрания.",
        "Архив прежних бюллетеней переехал на новый сервер.",
        "Взносы на печать зимнего альманаха принимаются по обычному адресу.",
        "Вечерняя лекция о старых картах переносится на неделю.",
    ),
    "tr": (
        "Çevrenin haftalık bülteni gelecek ayın toplantı saatlerini listeliyor.",
        "Üyelerin sonbahar buluşmasına basılı programı getirmeleri rica olunur.",
        "Okuma salonu her haftanın birinci ve üçüncü akşamı geç saate kadar açık kalacak.",
        "Yeni gönüllüler bir sonraki toplantıdan önce salon görevlisine kaydolmalı.",
        "Eski bültenlerin arşivi yeni sunucuya taşındı.",
        "Kış almanağının basımı için katkılar her zamanki adreste kabul ediliyor.",
        "Eski haritalar üzerine akşam konferansı bir hafta ertelendi.",
    ),
    "ar": (
        "تتضمن النشرة الأسبوعية للحلقة مواعيد اللقاءات في الشهر القادم.",
        "يرجى من الأعضاء إحضار الجدول المطبوع إلى لقاء الخريف.",
        "ستبقى قاعة المطالعة مفتوحة حتى وقت متأخر في الليلة الأولى والثالثة من كل أسبوع.",
        "على المتطوعين الجدد التسجيل لدى مشرف القاعة قبل الاجتماع القادم.",
        "انتقل أرشيف النشرات السابقة إلى الخادم الجديد.",
        "تقبل المساهمات لطباعة تقويم الشتاء على العنوان المعتاد.",
        "تأجلت المحاضرة المسائية عن الخرائط القديمة أسبوعا واحدا.",
    ),
}

#: Opening line of a bulletin: outlet name and issue number.
BULLETIN_HEADER = {
    "en": "{outlet}, bulletin {n}.",
    "fr": "{outlet}, bulletin n° {n}.",
    "de": "{outlet}, Mitteilungsblatt Nr. {n}.",
    "ru": "{outlet}, бюллетень № {n}.",
    "tr": "{outlet}, bülten {n}.",
    "ar": "{outlet}، النشرة رقم {n}.",
}

#: Calls to support the outlet, followed by a wallet address.
DONATION = {
    "en": "Support the printing costs:",
    "fr": "Soutenez les frais d'impression :",
    "de": "Unterstützt die Druckkosten:",
    "ru": "Поддержите расходы на печать:",
    "tr": "Basım masraflarına destek olun:",
    "ar": "ادعموا تكاليف الطباعة:",
}

#: Invitations to the new self-hosted server, followed by its link.
INVITE = {
    "en": "Our new room is open, join us here:",
    "fr": "Notre nouveau salon est ouvert :",
    "de": "Unser neuer Raum ist offen:",
    "ru": "Наша новая комната открыта:",
    "tr": "Yeni odamız açıldı, buradan katılın:",
    "ar": "غرفتنا الجديدة مفتوحة، انضموا هنا:",
}

#: Journalists' and researchers' critical, documenting text ({org}, {outlet} filled in).
CRITICAL = {
    "en": (
        "Another wave of posts from {outlet} today; we are documenting it, not sharing it.",
        "Our analysis shows the {org} accounts recycle the same images across platforms.",
        "New research: how {outlet} moves its audience to a self-hosted chat server.",
        "The {org} network keeps re-creating suspended accounts within hours.",
        "Platforms removed dozens of {org} channels this week, but mirrors appeared quickly.",
        "Thread: what we know about the donation addresses shared by {outlet}.",
        "We reviewed two months of {org} material for our report on online recruitment.",
        "Counter-messaging works best when it does not amplify {outlet} itself.",
    ),
    "fr": (
        "Nouvelle vague de publications de {outlet} aujourd'hui, nous documentons sans relayer.",
        "Notre enquête montre que les comptes de {org} recyclent les mêmes images.",
        "Les plateformes ont supprimé des chaînes de {org}, mais des copies sont apparues.",
    ),
    "de": (
        "Heute wieder eine Welle von Beiträgen von {outlet}; wir dokumentieren, wir teilen nicht.",
        "Unsere Recherche zeigt, wie {org} gesperrte Konten binnen Stunden neu anlegt.",
        "Neue Studie: wie {outlet} sein Publikum auf einen eigenen Chatserver lenkt.",
    ),
}
