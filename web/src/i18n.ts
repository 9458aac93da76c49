// Languages, calendars and digits. The language sets lang and dir on <html>
// (the layout uses CSS logical properties, so right-to-left mirrors by itself);
// dates and numbers go through Intl with the user's calendar and digits, kept
// in localStorage.

export type Locale = 'en' | 'fa' | 'ar' | 'sv';
export type Calendar = 'gregory' | 'persian' | 'islamic-umalqura';
export type Digits = 'latn' | 'arabext' | 'arab';

export const locales: { id: Locale; name: string }[] = [
  { id: 'en', name: 'English' },
  { id: 'fa', name: 'فارسی' },
  { id: 'ar', name: 'العربية' },
  { id: 'sv', name: 'Svenska' },
];

const rtl: Record<Locale, boolean> = { en: false, fa: true, ar: true, sv: false };
// What users of each language expect unless they choose otherwise.
const defaultCalendar: Record<Locale, Calendar> = { en: 'gregory', fa: 'persian', ar: 'gregory', sv: 'gregory' };
const defaultDigits: Record<Locale, Digits> = { en: 'latn', fa: 'arabext', ar: 'arab', sv: 'latn' };

const en = {
  'app.name': 'Patron',
  'nav.dashboard': 'Dashboard',
  'nav.customers': 'Customers',
  'nav.segments': 'Segments',
  'nav.data': 'Data',
  'nav.settings': 'Settings',
  'nav.signout': 'Sign out',
  'login.title': 'Sign in',
  'login.name': 'User name',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.language': 'Language',
  'common.loading': 'Loading…',
  'common.save': 'Save',
  'common.saved': 'Saved',
  'common.cancel': 'Cancel',
  'common.edit': 'Edit',
  'common.delete': 'Delete',
  'common.none': 'None',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.name': 'Name',
  'common.role': 'Role',
  'common.created': 'Created',
  'common.status': 'Status',
  'common.error': 'Error',
  'common.more': 'More',
  'dash.title': 'Dashboard',
  'dash.customers': 'Customers',
  'dash.orders': 'Orders',
  'dash.events': 'Events',
  'dash.contact_points': 'Contact points',
  'dash.consents_granted': 'Consents granted',
  'dash.consents_withdrawn': 'Consents withdrawn',
  'dash.accounts': 'Accounts',
  'dash.products': 'Products',
  'dash.segments': 'Saved segments',
  'dash.quality': 'Data quality',
  'dash.last_count': 'Last count',
  'cust.title': 'Customers',
  'cust.search': 'Search by name (any script), email or phone',
  'cust.no_results': 'No customer matches.',
  'cust.email': 'Email',
  'cust.phone': 'Phone',
  'cust.city': 'City',
  'cust.country': 'Country',
  'cust.profile': 'Profile',
  'cust.contact_points': 'Contact points',
  'cust.consents': 'Consents',
  'cust.accounts': 'Accounts',
  'cust.purchases': 'Purchases',
  'cust.traits': 'Computed traits',
  'cust.timeline': 'Timeline',
  'cust.flags': 'Before you act',
  'cust.sources': 'Sources',
  'cust.issues': 'Field issues',
  'cust.verified': 'Verified',
  'cust.last_seen': 'Last seen',
  'cust.proof': 'Proof',
  'cust.method': 'Method',
  'cust.purpose': 'Purpose',
  'cust.channel': 'Channel',
  'cust.edit_title': 'Edit profile',
  'cust.back': 'Back to search',
  'cust.phone_country': 'Country of local phone numbers',
  'cust.record_consent': 'Record consent',
  'cust.add_contact': 'Add a contact point',
  'seg.title': 'Segments',
  'seg.definition': 'Definition (segment language)',
  'seg.count': 'Matching customers',
  'seg.of': 'of {total}',
  'seg.clauses': 'Clause by clause',
  'seg.clause': 'Clause',
  'seg.matched': 'Matched',
  'seg.remaining': 'Remaining',
  'seg.preview': 'Preview',
  'seg.save': 'Save segment',
  'seg.name': 'Segment name',
  'seg.description': 'Description',
  'seg.saved_list': 'Saved segments',
  'seg.builder': 'Add a clause',
  'seg.add': 'Add',
  'seg.at': 'line {line}, column {column}',
  'seg.counting': 'Counting…',
  'seg.history': 'Membership over time',
  'seg.no_history': 'Nothing recorded yet: patron segment refresh records the members each day.',
  'seg.day': 'Day',
  'seg.members': 'Members',
  'seg.entered': 'Entered',
  'seg.left': 'Left',
  'seg.b.attr': 'Attribute',
  'seg.b.bought': 'Bought within days',
  'seg.b.reachable': 'Reachable by',
  'seg.b.did': 'Did event within days',
  'data.title': 'Data',
  'data.import': 'Import a file',
  'data.kind': 'Kind',
  'data.source': 'Source',
  'data.format': 'Format',
  'data.file': 'File',
  'data.upload': 'Upload and import',
  'data.progress': 'Progress',
  'data.report': 'Import report',
  'data.rejects': 'Rejected rows',
  'data.mapping': 'Columns mapped',
  'data.quality': 'Data-quality report',
  'set.title': 'Settings',
  'set.preferences': 'Preferences',
  'set.language': 'Language',
  'set.calendar': 'Calendar',
  'set.digits': 'Digits',
  'set.cal.gregory': 'Gregorian',
  'set.cal.persian': 'Persian (Solar Hijri)',
  'set.cal.islamic-umalqura': 'Hijri (Umm al-Qura)',
  'set.dig.latn': 'Latin (0123)',
  'set.dig.arabext': 'Persian (۰۱۲۳)',
  'set.dig.arab': 'Arabic (٠١٢٣)',
  'set.users': 'Users and roles',
  'set.new_user': 'New user',
  'set.keys': 'API keys',
  'set.new_key': 'New key',
  'set.key_once': 'Copy this key now: it is shown only once.',
  'set.revoke': 'Revoke',
  'set.revoked': 'Revoked',
  'set.prefix': 'Prefix',
  'set.last_used': 'Last used',
  'set.last_login': 'Last sign-in',
  'set.signed_in_as': 'Signed in as {actor} ({role})',
};
export type MessageKey = keyof typeof en;
type Catalogue = Record<MessageKey, string>;

const fa: Catalogue = {
  'app.name': 'پاترون',
  'nav.dashboard': 'داشبورد',
  'nav.customers': 'مشتریان',
  'nav.segments': 'بخش‌ها',
  'nav.data': 'داده‌ها',
  'nav.settings': 'تنظیمات',
  'nav.signout': 'خروج',
  'login.title': 'ورود',
  'login.name': 'نام کاربری',
  'login.password': 'گذرواژه',
  'login.submit': 'ورود',
  'login.language': 'زبان',
  'common.loading': 'در حال بارگذاری…',
  'common.save': 'ذخیره',
  'common.saved': 'ذخیره شد',
  'common.cancel': 'انصراف',
  'common.edit': 'ویرایش',
  'common.delete': 'حذف',
  'common.none': 'هیچ',
  'common.yes': 'بله',
  'common.no': 'خیر',
  'common.name': 'نام',
  'common.role': 'نقش',
  'common.created': 'ایجاد',
  'common.status': 'وضعیت',
  'common.error': 'خطا',
  'common.more': 'بیشتر',
  'dash.title': 'داشبورد',
  'dash.customers': 'مشتریان',
  'dash.orders': 'سفارش‌ها',
  'dash.events': 'رویدادها',
  'dash.contact_points': 'راه‌های ارتباطی',
  'dash.consents_granted': 'رضایت‌های داده‌شده',
  'dash.consents_withdrawn': 'رضایت‌های پس‌گرفته',
  'dash.accounts': 'حساب‌ها',
  'dash.products': 'محصولات',
  'dash.segments': 'بخش‌های ذخیره‌شده',
  'dash.quality': 'کیفیت داده',
  'dash.last_count': 'آخرین شمارش',
  'cust.title': 'مشتریان',
  'cust.search': 'جستجو با نام (به هر خطی)، ایمیل یا تلفن',
  'cust.no_results': 'هیچ مشتری‌ای پیدا نشد.',
  'cust.email': 'ایمیل',
  'cust.phone': 'تلفن',
  'cust.city': 'شهر',
  'cust.country': 'کشور',
  'cust.profile': 'نمایه',
  'cust.contact_points': 'راه‌های ارتباطی',
  'cust.consents': 'رضایت‌ها',
  'cust.accounts': 'حساب‌ها',
  'cust.purchases': 'خریدها',
  'cust.traits': 'ویژگی‌های محاسبه‌شده',
  'cust.timeline': 'خط زمانی',
  'cust.flags': 'پیش از هر اقدام',
  'cust.sources': 'منابع',
  'cust.issues': 'مشکلات فیلدها',
  'cust.verified': 'تأییدشده',
  'cust.last_seen': 'آخرین مشاهده',
  'cust.proof': 'مدرک',
  'cust.method': 'روش',
  'cust.purpose': 'هدف',
  'cust.channel': 'کانال',
  'cust.edit_title': 'ویرایش نمایه',
  'cust.back': 'بازگشت به جستجو',
  'cust.phone_country': 'کشور شماره‌های تلفن محلی',
  'cust.record_consent': 'ثبت رضایت',
  'cust.add_contact': 'افزودن راه ارتباطی',
  'seg.title': 'بخش‌ها',
  'seg.definition': 'تعریف (زبان بخش‌بندی)',
  'seg.count': 'مشتریان منطبق',
  'seg.of': 'از {total}',
  'seg.clauses': 'بند به بند',
  'seg.clause': 'بند',
  'seg.matched': 'منطبق',
  'seg.remaining': 'باقی‌مانده',
  'seg.preview': 'پیش‌نمایش',
  'seg.save': 'ذخیرهٔ بخش',
  'seg.name': 'نام بخش',
  'seg.description': 'توضیح',
  'seg.saved_list': 'بخش‌های ذخیره‌شده',
  'seg.builder': 'افزودن بند',
  'seg.add': 'افزودن',
  'seg.at': 'سطر {line}، ستون {column}',
  'seg.counting': 'در حال شمارش…',
  'seg.history': 'عضویت در گذر زمان',
  'seg.no_history': 'هنوز چیزی ثبت نشده است: patron segment refresh اعضا را هر روز ثبت می‌کند.',
  'seg.day': 'روز',
  'seg.members': 'اعضا',
  'seg.entered': 'واردشده',
  'seg.left': 'خارج‌شده',
  'seg.b.attr': 'ویژگی',
  'seg.b.bought': 'خرید در چند روز اخیر',
  'seg.b.reachable': 'قابل دسترس از طریق',
  'seg.b.did': 'رویداد در چند روز اخیر',
  'data.title': 'داده‌ها',
  'data.import': 'وارد کردن فایل',
  'data.kind': 'نوع',
  'data.source': 'منبع',
  'data.format': 'قالب',
  'data.file': 'فایل',
  'data.upload': 'بارگذاری و وارد کردن',
  'data.progress': 'پیشرفت',
  'data.report': 'گزارش ورود',
  'data.rejects': 'سطرهای ردشده',
  'data.mapping': 'نگاشت ستون‌ها',
  'data.quality': 'گزارش کیفیت داده',
  'set.title': 'تنظیمات',
  'set.preferences': 'ترجیحات',
  'set.language': 'زبان',
  'set.calendar': 'تقویم',
  'set.digits': 'ارقام',
  'set.cal.gregory': 'میلادی',
  'set.cal.persian': 'هجری شمسی',
  'set.cal.islamic-umalqura': 'هجری قمری (ام‌القری)',
  'set.dig.latn': 'لاتین (0123)',
  'set.dig.arabext': 'فارسی (۰۱۲۳)',
  'set.dig.arab': 'عربی (٠١٢٣)',
  'set.users': 'کاربران و نقش‌ها',
  'set.new_user': 'کاربر جدید',
  'set.keys': 'کلیدهای API',
  'set.new_key': 'کلید جدید',
  'set.key_once': 'این کلید را همین حالا کپی کنید: فقط یک بار نمایش داده می‌شود.',
  'set.revoke': 'ابطال',
  'set.revoked': 'باطل‌شده',
  'set.prefix': 'پیشوند',
  'set.last_used': 'آخرین استفاده',
  'set.last_login': 'آخرین ورود',
  'set.signed_in_as': 'واردشده با نام {actor} ({role})',
};

const ar: Catalogue = {
  'app.name': 'باترون',
  'nav.dashboard': 'لوحة المعلومات',
  'nav.customers': 'العملاء',
  'nav.segments': 'الشرائح',
  'nav.data': 'البيانات',
  'nav.settings': 'الإعدادات',
  'nav.signout': 'تسجيل الخروج',
  'login.title': 'تسجيل الدخول',
  'login.name': 'اسم المستخدم',
  'login.password': 'كلمة المرور',
  'login.submit': 'دخول',
  'login.language': 'اللغة',
  'common.loading': 'جارٍ التحميل…',
  'common.save': 'حفظ',
  'common.saved': 'تم الحفظ',
  'common.cancel': 'إلغاء',
  'common.edit': 'تعديل',
  'common.delete': 'حذف',
  'common.none': 'لا شيء',
  'common.yes': 'نعم',
  'common.no': 'لا',
  'common.name': 'الاسم',
  'common.role': 'الدور',
  'common.created': 'أُنشئ',
  'common.status': 'الحالة',
  'common.error': 'خطأ',
  'common.more': 'المزيد',
  'dash.title': 'لوحة المعلومات',
  'dash.customers': 'العملاء',
  'dash.orders': 'الطلبات',
  'dash.events': 'الأحداث',
  'dash.contact_points': 'وسائل الاتصال',
  'dash.consents_granted': 'موافقات ممنوحة',
  'dash.consents_withdrawn': 'موافقات مسحوبة',
  'dash.accounts': 'الحسابات',
  'dash.products': 'المنتجات',
  'dash.segments': 'الشرائح المحفوظة',
  'dash.quality': 'جودة البيانات',
  'dash.last_count': 'آخر عدّ',
  'cust.title': 'العملاء',
  'cust.search': 'ابحث بالاسم (بأي خط) أو البريد الإلكتروني أو الهاتف',
  'cust.no_results': 'لا يوجد عميل مطابق.',
  'cust.email': 'البريد الإلكتروني',
  'cust.phone': 'الهاتف',
  'cust.city': 'المدينة',
  'cust.country': 'البلد',
  'cust.profile': 'الملف الشخصي',
  'cust.contact_points': 'وسائل الاتصال',
  'cust.consents': 'الموافقات',
  'cust.accounts': 'الحسابات',
  'cust.purchases': 'المشتريات',
  'cust.traits': 'السمات المحسوبة',
  'cust.timeline': 'الخط الزمني',
  'cust.flags': 'قبل أي إجراء',
  'cust.sources': 'المصادر',
  'cust.issues': 'مشكلات الحقول',
  'cust.verified': 'موثّق',
  'cust.last_seen': 'آخر ظهور',
  'cust.proof': 'الإثبات',
  'cust.method': 'الطريقة',
  'cust.purpose': 'الغرض',
  'cust.channel': 'القناة',
  'cust.edit_title': 'تعديل الملف الشخصي',
  'cust.back': 'العودة إلى البحث',
  'cust.phone_country': 'بلد أرقام الهاتف المحلية',
  'cust.record_consent': 'تسجيل موافقة',
  'cust.add_contact': 'إضافة وسيلة اتصال',
  'seg.title': 'الشرائح',
  'seg.definition': 'التعريف (لغة الشرائح)',
  'seg.count': 'العملاء المطابقون',
  'seg.of': 'من {total}',
  'seg.clauses': 'بندًا بندًا',
  'seg.clause': 'البند',
  'seg.matched': 'المطابق',
  'seg.remaining': 'المتبقي',
  'seg.preview': 'معاينة',
  'seg.save': 'حفظ الشريحة',
  'seg.name': 'اسم الشريحة',
  'seg.description': 'الوصف',
  'seg.saved_list': 'الشرائح المحفوظة',
  'seg.builder': 'إضافة بند',
  'seg.add': 'إضافة',
  'seg.at': 'السطر {line}، العمود {column}',
  'seg.counting': 'جارٍ العدّ…',
  'seg.history': 'العضوية عبر الزمن',
  'seg.no_history': 'لم يُسجَّل شيء بعد: يسجّل patron segment refresh الأعضاء كل يوم.',
  'seg.day': 'اليوم',
  'seg.members': 'الأعضاء',
  'seg.entered': 'الداخلون',
  'seg.left': 'الخارجون',
  'seg.b.attr': 'سمة',
  'seg.b.bought': 'اشترى خلال أيام',
  'seg.b.reachable': 'يمكن الوصول إليه عبر',
  'seg.b.did': 'قام بحدث خلال أيام',
  'data.title': 'البيانات',
  'data.import': 'استيراد ملف',
  'data.kind': 'النوع',
  'data.source': 'المصدر',
  'data.format': 'الصيغة',
  'data.file': 'الملف',
  'data.upload': 'رفع واستيراد',
  'data.progress': 'التقدّم',
  'data.report': 'تقرير الاستيراد',
  'data.rejects': 'الصفوف المرفوضة',
  'data.mapping': 'ربط الأعمدة',
  'data.quality': 'تقرير جودة البيانات',
  'set.title': 'الإعدادات',
  'set.preferences': 'التفضيلات',
  'set.language': 'اللغة',
  'set.calendar': 'التقويم',
  'set.digits': 'الأرقام',
  'set.cal.gregory': 'ميلادي',
  'set.cal.persian': 'هجري شمسي',
  'set.cal.islamic-umalqura': 'هجري (أم القرى)',
  'set.dig.latn': 'لاتينية (0123)',
  'set.dig.arabext': 'فارسية (۰۱۲۳)',
  'set.dig.arab': 'عربية (٠١٢٣)',
  'set.users': 'المستخدمون والأدوار',
  'set.new_user': 'مستخدم جديد',
  'set.keys': 'مفاتيح API',
  'set.new_key': 'مفتاح جديد',
  'set.key_once': 'انسخ هذا المفتاح الآن: لن يُعرض إلا مرة واحدة.',
  'set.revoke': 'إبطال',
  'set.revoked': 'مُبطل',
  'set.prefix': 'البادئة',
  'set.last_used': 'آخر استخدام',
  'set.last_login': 'آخر تسجيل دخول',
  'set.signed_in_as': 'مسجّل الدخول باسم {actor} ({role})',
};

const sv: Catalogue = {
  'app.name': 'Patron',
  'nav.dashboard': 'Översikt',
  'nav.customers': 'Kunder',
  'nav.segments': 'Segment',
  'nav.data': 'Data',
  'nav.settings': 'Inställningar',
  'nav.signout': 'Logga ut',
  'login.title': 'Logga in',
  'login.name': 'Användarnamn',
  'login.password': 'Lösenord',
  'login.submit': 'Logga in',
  'login.language': 'Språk',
  'common.loading': 'Laddar…',
  'common.save': 'Spara',
  'common.saved': 'Sparat',
  'common.cancel': 'Avbryt',
  'common.edit': 'Redigera',
  'common.delete': 'Ta bort',
  'common.none': 'Inga',
  'common.yes': 'Ja',
  'common.no': 'Nej',
  'common.name': 'Namn',
  'common.role': 'Roll',
  'common.created': 'Skapad',
  'common.status': 'Status',
  'common.error': 'Fel',
  'common.more': 'Mer',
  'dash.title': 'Översikt',
  'dash.customers': 'Kunder',
  'dash.orders': 'Ordrar',
  'dash.events': 'Händelser',
  'dash.contact_points': 'Kontaktuppgifter',
  'dash.consents_granted': 'Givna samtycken',
  'dash.consents_withdrawn': 'Återkallade samtycken',
  'dash.accounts': 'Konton',
  'dash.products': 'Produkter',
  'dash.segments': 'Sparade segment',
  'dash.quality': 'Datakvalitet',
  'dash.last_count': 'Senaste antal',
  'cust.title': 'Kunder',
  'cust.search': 'Sök på namn (alla skriftsystem), e-post eller telefon',
  'cust.no_results': 'Ingen kund matchar.',
  'cust.email': 'E-post',
  'cust.phone': 'Telefon',
  'cust.city': 'Ort',
  'cust.country': 'Land',
  'cust.profile': 'Profil',
  'cust.contact_points': 'Kontaktuppgifter',
  'cust.consents': 'Samtycken',
  'cust.accounts': 'Konton',
  'cust.purchases': 'Köp',
  'cust.traits': 'Beräknade egenskaper',
  'cust.timeline': 'Tidslinje',
  'cust.flags': 'Innan du agerar',
  'cust.sources': 'Källor',
  'cust.issues': 'Fältproblem',
  'cust.verified': 'Verifierad',
  'cust.last_seen': 'Senast sedd',
  'cust.proof': 'Bevis',
  'cust.method': 'Metod',
  'cust.purpose': 'Syfte',
  'cust.channel': 'Kanal',
  'cust.edit_title': 'Redigera profil',
  'cust.back': 'Tillbaka till sökningen',
  'cust.phone_country': 'Land för lokala telefonnummer',
  'cust.record_consent': 'Registrera samtycke',
  'cust.add_contact': 'Lägg till kontaktuppgift',
  'seg.title': 'Segment',
  'seg.definition': 'Definition (segmentspråket)',
  'seg.count': 'Matchande kunder',
  'seg.of': 'av {total}',
  'seg.clauses': 'Villkor för villkor',
  'seg.clause': 'Villkor',
  'seg.matched': 'Matchade',
  'seg.remaining': 'Kvar',
  'seg.preview': 'Förhandsvisning',
  'seg.save': 'Spara segment',
  'seg.name': 'Segmentets namn',
  'seg.description': 'Beskrivning',
  'seg.saved_list': 'Sparade segment',
  'seg.builder': 'Lägg till ett villkor',
  'seg.add': 'Lägg till',
  'seg.at': 'rad {line}, kolumn {column}',
  'seg.counting': 'Räknar…',
  'seg.history': 'Medlemskap över tid',
  'seg.no_history': 'Inget registrerat än: patron segment refresh registrerar medlemmarna varje dag.',
  'seg.day': 'Dag',
  'seg.members': 'Medlemmar',
  'seg.entered': 'Tillkomna',
  'seg.left': 'Lämnade',
  'seg.b.attr': 'Attribut',
  'seg.b.bought': 'Köpt inom dagar',
  'seg.b.reachable': 'Nåbar via',
  'seg.b.did': 'Händelse inom dagar',
  'data.title': 'Data',
  'data.import': 'Importera en fil',
  'data.kind': 'Typ',
  'data.source': 'Källa',
  'data.format': 'Format',
  'data.file': 'Fil',
  'data.upload': 'Ladda upp och importera',
  'data.progress': 'Förlopp',
  'data.report': 'Importrapport',
  'data.rejects': 'Avvisade rader',
  'data.mapping': 'Kolumnmappning',
  'data.quality': 'Datakvalitetsrapport',
  'set.title': 'Inställningar',
  'set.preferences': 'Preferenser',
  'set.language': 'Språk',
  'set.calendar': 'Kalender',
  'set.digits': 'Siffror',
  'set.cal.gregory': 'Gregoriansk',
  'set.cal.persian': 'Persisk (solhijri)',
  'set.cal.islamic-umalqura': 'Hijri (Umm al-Qura)',
  'set.dig.latn': 'Latinska (0123)',
  'set.dig.arabext': 'Persiska (۰۱۲۳)',
  'set.dig.arab': 'Arabiska (٠١٢٣)',
  'set.users': 'Användare och roller',
  'set.new_user': 'Ny användare',
  'set.keys': 'API-nycklar',
  'set.new_key': 'Ny nyckel',
  'set.key_once': 'Kopiera nyckeln nu: den visas bara en gång.',
  'set.revoke': 'Återkalla',
  'set.revoked': 'Återkallad',
  'set.prefix': 'Prefix',
  'set.last_used': 'Senast använd',
  'set.last_login': 'Senaste inloggning',
  'set.signed_in_as': 'Inloggad som {actor} ({role})',
};

const catalogues: Record<Locale, Catalogue> = { en, fa, ar, sv };

export interface Preferences {
  locale: Locale;
  calendar: Calendar;
  digits: Digits;
}

function stored<T extends string>(key: string, allowed: readonly T[]): T | undefined {
  try {
    const v = localStorage.getItem(key);
    return v && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

function initialLocale(): Locale {
  const saved = stored<Locale>('patron.locale', ['en', 'fa', 'ar', 'sv']);
  if (saved) return saved;
  const browser = (navigator.language || 'en').slice(0, 2) as Locale;
  return browser in catalogues ? browser : 'en';
}

const locale0 = initialLocale();
let prefs: Preferences = {
  locale: locale0,
  calendar: stored<Calendar>('patron.calendar', ['gregory', 'persian', 'islamic-umalqura']) ?? defaultCalendar[locale0],
  digits: stored<Digits>('patron.digits', ['latn', 'arabext', 'arab']) ?? defaultDigits[locale0],
};

export function preferences(): Preferences {
  return prefs;
}

// Changing the language also moves calendar and digits to that language's
// defaults unless the user chose them explicitly (an explicit choice is kept).
export function setPreferences(next: Partial<Preferences>): Preferences {
  const explicit = { ...next };
  if (next.locale && next.locale !== prefs.locale) {
    if (!next.calendar && !stored('patron.calendar', ['gregory', 'persian', 'islamic-umalqura'])) {
      next.calendar = defaultCalendar[next.locale];
    }
    if (!next.digits && !stored('patron.digits', ['latn', 'arabext', 'arab'])) next.digits = defaultDigits[next.locale];
  }
  prefs = { ...prefs, ...next };
  try {
    if (explicit.locale) localStorage.setItem('patron.locale', explicit.locale);
    if (explicit.calendar) localStorage.setItem('patron.calendar', explicit.calendar);
    if (explicit.digits) localStorage.setItem('patron.digits', explicit.digits);
  } catch {
    /* private mode: preferences last for this page only */
  }
  applyDocument();
  formatters.clear();
  return prefs;
}

export function applyDocument(): void {
  const html = document.documentElement;
  html.lang = prefs.locale;
  html.dir = rtl[prefs.locale] ? 'rtl' : 'ltr';
  document.title = t('app.name');
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  let s = catalogues[prefs.locale][key] ?? en[key] ?? key;
  if (params) {
    for (const [k, v] of Object.entries(params)) s = s.replace(`{${k}}`, typeof v === 'number' ? num(v) : v);
  }
  return s;
}

const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function tag(): string {
  return `${prefs.locale}-u-ca-${prefs.calendar}-nu-${prefs.digits}`;
}

export function num(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const key = `n${digits}`;
  let f = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(tag(), { maximumFractionDigits: digits });
    formatters.set(key, f);
  }
  return f.format(n);
}

// An instant ("2026-11-01T10:00:00Z") or a date ("1990-03-21") in the user's
// calendar and digits.
export function date(value: string | null | undefined, withTime = false): string {
  if (!value) return '—';
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = new Date(dateOnly ? value + 'T12:00:00Z' : value);
  if (Number.isNaN(d.getTime())) return value;
  const key = (withTime && !dateOnly ? 'dt' : 'd') + (dateOnly ? 'u' : '');
  let f = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(tag(), {
      dateStyle: 'medium',
      ...(withTime && !dateOnly ? { timeStyle: 'short' } : {}),
      ...(dateOnly ? { timeZone: 'UTC' } : {}),
    });
    formatters.set(key, f);
  }
  return f.format(d);
}

// Names of profile fields, traits and quality columns as people read them; a
// key without a name here is shown with its underscores as spaces.
const fieldNames: Record<Locale, Record<string, string>> = {
  en: {
    verified: 'verified', unverified: 'unverified', granted: 'granted', withdrawn: 'withdrawn', email: 'email', sms: 'SMS', phone: 'phone', address: 'address', mail: 'mail', push: 'push', mobile: 'mobile', fixed_line: 'landline',
    rfm: 'RFM segment', clv_12m: 'CLV (12 months)', churn_risk: 'Churn risk', p_alive: 'Still active (probability)',
    best_channel: 'Best channel', best_send_hour: 'Best send time', recommended_products: 'Recommendations',
    channel_response_rates: 'Response by channel', expected_purchases_12m: 'Expected purchases (12 months)',
    expected_order_value: 'Expected order value', computed_at: 'Computed', first_order: 'First order', last_order: 'Last order', customers_created: 'customers created',
  },
  fa: {
    verified: 'تأییدشده', unverified: 'تأییدنشده', granted: 'داده‌شده', withdrawn: 'پس‌گرفته', email: 'ایمیل', sms: 'پیامک', phone: 'تلفن', address: 'نشانی', mail: 'پست', push: 'اعلان', mobile: 'همراه', fixed_line: 'ثابت',
    given_name: 'نام', family_name: 'نام خانوادگی', full_name: 'نام کامل', gender: 'جنسیت', birth_date: 'تاریخ تولد',
    language: 'زبان', city: 'شهر', region: 'استان', country: 'کشور', lifecycle_stage: 'مرحلهٔ چرخهٔ عمر',
    created_at: 'ایجاد', updated_at: 'به‌روزرسانی', last_interaction_at: 'آخرین تعامل', time_zone: 'منطقهٔ زمانی',
    education: 'تحصیلات', income_band: 'سطح درآمد', household_size: 'اندازهٔ خانوار', marital_status: 'وضعیت تأهل',
    acquisition_channel: 'کانال جذب', lifecycle: 'چرخهٔ عمر', rfm: 'بخش RFM', clv_12m: 'ارزش طول عمر (۱۲ ماه)',
    churn_risk: 'خطر ریزش', p_alive: 'احتمال فعال بودن', best_channel: 'بهترین کانال', best_send_hour: 'بهترین زمان ارسال',
    recommended_products: 'پیشنهادها', channel_response_rates: 'پاسخ به تفکیک کانال', computed_at: 'زمان محاسبه',
    expected_purchases_12m: 'خریدهای مورد انتظار (۱۲ ماه)', expected_order_value: 'ارزش مورد انتظار سفارش',
    lead_score: 'امتیاز سرنخ', lead_stage: 'مرحلهٔ سرنخ', interests: 'علاقه‌مندی‌ها', last_purchase_at: 'آخرین خرید',
    purchase_days: 'روزهای خرید', invalid: 'نامعتبر', bounced: 'برگشتی', stale: 'کهنه', items: 'اقلام',
    first_order: 'نخستین سفارش', records: 'رکوردها', inserted: 'افزوده', updated: 'به‌روزشده', unchanged: 'بدون تغییر', rejected: 'ردشده', customers_created: 'مشتریان ایجادشده', last_order: 'آخرین سفارش', job_title: 'سمت', tier: 'رده', contract_status: 'وضعیت قرارداد', domain: 'دامنه', employees: 'کارکنان', industry_code: 'کد صنعت',
  },
  ar: {
    verified: 'موثّق', unverified: 'غير موثّق', granted: 'ممنوحة', withdrawn: 'مسحوبة', email: 'البريد الإلكتروني', sms: 'رسائل SMS', phone: 'الهاتف', address: 'العنوان', mail: 'البريد', push: 'الإشعارات', mobile: 'جوال', fixed_line: 'أرضي',
    given_name: 'الاسم الأول', family_name: 'اسم العائلة', full_name: 'الاسم الكامل', gender: 'الجنس', birth_date: 'تاريخ الميلاد',
    language: 'اللغة', city: 'المدينة', region: 'المنطقة', country: 'البلد', lifecycle_stage: 'مرحلة دورة الحياة',
    created_at: 'أُنشئ', updated_at: 'حُدّث', last_interaction_at: 'آخر تفاعل', time_zone: 'المنطقة الزمنية',
    education: 'التعليم', income_band: 'فئة الدخل', household_size: 'حجم الأسرة', marital_status: 'الحالة الاجتماعية',
    acquisition_channel: 'قناة الاكتساب', lifecycle: 'دورة الحياة', rfm: 'شريحة RFM', clv_12m: 'القيمة الدائمة (١٢ شهرًا)',
    churn_risk: 'خطر التوقف', p_alive: 'احتمال النشاط', best_channel: 'أفضل قناة', best_send_hour: 'أفضل وقت للإرسال',
    recommended_products: 'التوصيات', channel_response_rates: 'الاستجابة حسب القناة', computed_at: 'وقت الحساب',
    expected_purchases_12m: 'المشتريات المتوقعة (١٢ شهرًا)', expected_order_value: 'القيمة المتوقعة للطلب',
    lead_score: 'تقييم العميل المحتمل', lead_stage: 'مرحلة العميل المحتمل', interests: 'الاهتمامات', last_purchase_at: 'آخر شراء',
    purchase_days: 'أيام الشراء', invalid: 'غير صالح', bounced: 'مرتد', stale: 'قديم', items: 'القطع',
    first_order: 'أول طلب', records: 'السجلات', inserted: 'المضافة', updated: 'المحدّثة', unchanged: 'دون تغيير', rejected: 'المرفوضة', customers_created: 'عملاء أُنشئوا', last_order: 'آخر طلب', job_title: 'المسمى الوظيفي', tier: 'الفئة', contract_status: 'حالة العقد', domain: 'النطاق', employees: 'الموظفون', industry_code: 'رمز القطاع',
  },
  sv: {
    verified: 'verifierad', unverified: 'overifierad', granted: 'givet', withdrawn: 'återkallat', email: 'e-post', sms: 'sms', phone: 'telefon', address: 'adress', mail: 'post', push: 'push', mobile: 'mobil', fixed_line: 'fast',
    given_name: 'Förnamn', family_name: 'Efternamn', full_name: 'Fullständigt namn', gender: 'Kön', birth_date: 'Födelsedatum',
    language: 'Språk', city: 'Ort', region: 'Region', country: 'Land', lifecycle_stage: 'Livscykelfas',
    created_at: 'Skapad', updated_at: 'Uppdaterad', last_interaction_at: 'Senaste interaktion', time_zone: 'Tidszon',
    education: 'Utbildning', income_band: 'Inkomstnivå', household_size: 'Hushållets storlek', marital_status: 'Civilstånd',
    acquisition_channel: 'Förvärvskanal', lifecycle: 'Livscykel', rfm: 'RFM-segment', clv_12m: 'Kundvärde (12 månader)',
    churn_risk: 'Risk att lämna', p_alive: 'Sannolikhet aktiv', best_channel: 'Bästa kanal', best_send_hour: 'Bästa sändtid',
    recommended_products: 'Rekommendationer', channel_response_rates: 'Respons per kanal', computed_at: 'Beräknad',
    expected_purchases_12m: 'Förväntade köp (12 månader)', expected_order_value: 'Förväntat ordervärde',
    lead_score: 'Leadpoäng', lead_stage: 'Leadfas', interests: 'Intressen', last_purchase_at: 'Senaste köp',
    purchase_days: 'Köpdagar', invalid: 'ogiltig', bounced: 'studsad', stale: 'inaktuell', items: 'Artiklar',
    first_order: 'Första order', records: 'Poster', inserted: 'Tillagda', updated: 'Uppdaterade', unchanged: 'Oförändrade', rejected: 'Avvisade', customers_created: 'Skapade kunder', last_order: 'Senaste order', job_title: 'Befattning', tier: 'Nivå', contract_status: 'Avtalsstatus', domain: 'Domän', employees: 'Anställda', industry_code: 'Branschkod',
  },
};

export function fieldName(key: string): string {
  return fieldNames[prefs.locale][key] ?? fieldNames.en[key] ?? key.replace(/_/g, ' ');
}
