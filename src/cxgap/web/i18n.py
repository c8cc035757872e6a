"""The survey form's own texts in English, Chinese and Persian, and language choice.

Instrument texts (questions, scale labels) come from the instrument; these are the words
around them: buttons, sub-questions of each item format, messages and error texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxgap.instruments.model import RTL_LANGUAGES

LANGUAGE_NAMES = {"en": "English", "zh": "中文", "fa": "فارسی"}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to the questions",
        "languages": "Language",
        "page_of": "Part {page} of {pages}",
        "required": "required",
        "back": "← Back",
        "next": "Next →",
        "save": "Save and finish later",
        "submit": "Send my answers",
        "saved": "Your answers so far are saved. You can come back to this link at any time.",
        "autosaved": "Saved",
        "errors_title": "Some answers need your attention",
        "more_errors": "There are more answers to check in other parts of the survey.",
        "expected": "What you expect",
        "perceived_ep": "What you get",
        "adequate": "The lowest level you would accept",
        "desired": "The level you would like",
        "perceived": "The level you get from us",
        "functional": "How would you feel if the service offered this?",
        "dysfunctional": "How would you feel if it did not?",
        "points_total": "Points given: {given} of {total}",
        "confirm_above": "Yes, the lowest level I would accept really is above the level I "
        "would like.",
        "your_answer": "Your answer",
        "scale_ends": "{low_value} = {low}, {high_value} = {high}",
        "thanks_title": "Thank you",
        "thanks_body": "Your answers have been received. You can close this page.",
        "completed_title": "Already answered",
        "completed_body": "Answers have already been sent from this link, so it cannot be "
        "used again. Thank you for taking part.",
        "expired_title": "This link has expired",
        "expired_body": "The survey can no longer be answered through this link. If you "
        "would still like to answer, please ask for a new link.",
        "invalid_title": "Link not recognised",
        "invalid_body": "This survey link is not valid. Please check that the whole link "
        "was copied from your invitation.",
        "csrf_title": "Please try again",
        "csrf_body": "The form could not be accepted because it was opened in another "
        "browser session or too long ago. Open the link again; saved answers are kept.",
        "rate_title": "Too many requests",
        "rate_body": "Too many answers arrived from here in a short time. Please wait a "
        "minute and try again.",
        "too_large_title": "Too much data",
        "too_large_body": "The form sent more data than a survey answer can hold.",
        "error_title": "Something went wrong",
        "error_body": "Your answers could not be handled. Please try again later.",
        "open_survey": "Back to the survey",
        "err_required": "Please answer this question.",
        "err_incomplete": "Please answer this part too.",
        "err_not_a_number": "Please enter a number.",
        "err_out_of_range": "Please choose a whole number from {min} to {max}.",
        "err_points_sum": "The points must add up to {total}; they now add up to {given}.",
        "err_adequate_above_desired": "The lowest level you would accept ({adequate}) is "
        "above the level you would like ({desired}). Please check both, or tick the box "
        "below if that is what you mean.",
        "err_too_long": "Please keep this answer under {max} characters (it has {given}).",
        "err_bad_character": "This answer contains a control character, {character}, at "
        "position {position}. Please remove it; letters, digits, punctuation, tabs and line "
        "breaks are allowed.",
        "err_too_many": "The form sent more answers than this survey has questions.",
    },
    "zh": {
        "skip": "跳到问题",
        "languages": "语言",
        "page_of": "第 {page} 部分，共 {pages} 部分",
        "required": "必答",
        "back": "← 上一步",
        "next": "下一步 →",
        "save": "保存，稍后继续",
        "submit": "提交我的回答",
        "saved": "您目前的回答已保存。您可以随时通过此链接回来继续填写。",
        "autosaved": "已保存",
        "errors_title": "有些回答需要您再看一下",
        "more_errors": "问卷的其他部分还有需要检查的回答。",
        "expected": "您的期望",
        "perceived_ep": "您实际得到的",
        "adequate": "您能接受的最低水平",
        "desired": "您希望达到的水平",
        "perceived": "您从我们这里实际得到的水平",
        "functional": "如果服务提供这一项，您会有什么感受？",
        "dysfunctional": "如果服务不提供这一项，您会有什么感受？",
        "points_total": "已分配：{given} / {total} 分",
        "confirm_above": "是的，我能接受的最低水平确实高于我希望的水平。",
        "your_answer": "您的回答",
        "scale_ends": "{low_value} = {low}，{high_value} = {high}",
        "thanks_title": "谢谢您",
        "thanks_body": "我们已收到您的回答。您可以关闭此页面。",
        "completed_title": "已经回答过了",
        "completed_body": "此链接已经提交过回答，不能再次使用。感谢您的参与。",
        "expired_title": "此链接已过期",
        "expired_body": "已无法通过此链接填写问卷。如果您仍想参与，请索取新的链接。",
        "invalid_title": "无法识别此链接",
        "invalid_body": "此问卷链接无效。请检查是否完整复制了邀请中的链接。",
        "csrf_title": "请重试",
        "csrf_body": "表单无法被接受，因为它是在另一个浏览器会话中或很久以前打开的。"
        "请重新打开链接，已保存的回答不会丢失。",
        "rate_title": "请求过多",
        "rate_body": "短时间内从这里收到的提交太多。请稍等一分钟后再试。",
        "too_large_title": "数据过多",
        "too_large_body": "表单发送的数据超出了一份问卷回答的容量。",
        "error_title": "出了点问题",
        "error_body": "暂时无法处理您的回答。请稍后再试。",
        "open_survey": "返回问卷",
        "err_required": "请回答这个问题。",
        "err_incomplete": "请把这一部分也填上。",
        "err_not_a_number": "请输入一个数字。",
        "err_out_of_range": "请选择 {min} 到 {max} 之间的整数。",
        "err_points_sum": "各项分数之和必须为 {total}，目前为 {given}。",
        "err_adequate_above_desired": "您能接受的最低水平（{adequate}）"
        "高于您希望的水平（{desired}）。请检查这两个回答；如果确实如此，请勾选下面的方框。",
        "err_too_long": "请将回答控制在 {max} 个字符以内（目前为 {given} 个）。",
        "err_bad_character": "此回答在第 {position} 个字符处含有控制字符 {character}。"
        "请删除它；可以使用文字、数字、标点、制表符和换行。",
        "err_too_many": "表单发送的回答数量超过了本问卷的问题数量。",
    },
    "fa": {
        "skip": "رفتن به پرسش‌ها",
        "languages": "زبان",
        "page_of": "بخش {page} از {pages}",
        "required": "الزامی",
        "back": "→ قبلی",
        "next": "بعدی ←",
        "save": "ذخیره و ادامه در زمانی دیگر",
        "submit": "ارسال پاسخ‌های من",
        "saved": "پاسخ‌هایی که تا اینجا داده‌اید ذخیره شد. هر زمان بخواهید می‌توانید با همین "
        "پیوند برگردید.",
        "autosaved": "ذخیره شد",
        "errors_title": "چند پاسخ نیاز به بررسی دارد",
        "more_errors": "در بخش‌های دیگر پرسشنامه هم پاسخ‌هایی برای بررسی هست.",
        "expected": "آنچه انتظار دارید",
        "perceived_ep": "آنچه دریافت می‌کنید",
        "adequate": "پایین‌ترین سطحی که می‌پذیرید",
        "desired": "سطحی که دوست دارید",
        "perceived": "سطحی که از ما دریافت می‌کنید",
        "functional": "اگر این خدمت این قابلیت را داشته باشد، چه احساسی دارید؟",
        "dysfunctional": "اگر این قابلیت را نداشته باشد، چه احساسی دارید؟",
        "points_total": "امتیاز داده‌شده: {given} از {total}",
        "confirm_above": "بله، پایین‌ترین سطحی که می‌پذیرم واقعاً بالاتر از سطحی است که دوست دارم.",
        "your_answer": "پاسخ شما",
        "scale_ends": "{low_value} = {low}، {high_value} = {high}",
        "thanks_title": "سپاسگزاریم",
        "thanks_body": "پاسخ‌های شما دریافت شد. می‌توانید این صفحه را ببندید.",
        "completed_title": "پیش‌تر پاسخ داده شده است",
        "completed_body": "از این پیوند قبلاً پاسخ ارسال شده و دیگر قابل استفاده نیست. از "
        "مشارکت شما سپاسگزاریم.",
        "expired_title": "مهلت این پیوند تمام شده است",
        "expired_body": "دیگر نمی‌توان با این پیوند به پرسشنامه پاسخ داد. اگر هنوز مایل به "
        "پاسخ‌گویی هستید، لطفاً پیوند تازه‌ای درخواست کنید.",
        "invalid_title": "پیوند شناخته نشد",
        "invalid_body": "این پیوند پرسشنامه معتبر نیست. لطفاً بررسی کنید که کل پیوند از "
        "دعوت‌نامه کپی شده باشد.",
        "csrf_title": "لطفاً دوباره تلاش کنید",
        "csrf_body": "فرم پذیرفته نشد، چون در نشست دیگری از مرورگر یا مدت‌ها پیش باز شده بود. "
        "پیوند را دوباره باز کنید؛ پاسخ‌های ذخیره‌شده از بین نمی‌روند.",
        "rate_title": "درخواست‌ها بیش از حد است",
        "rate_body": "در زمانی کوتاه پاسخ‌های زیادی از اینجا رسیده است. لطفاً یک دقیقه صبر "
        "کنید و دوباره تلاش کنید.",
        "too_large_title": "داده‌ها بیش از حد است",
        "too_large_body": "فرم بیش از آنچه یک پاسخ پرسشنامه جا دارد داده فرستاده است.",
        "error_title": "مشکلی پیش آمد",
        "error_body": "پاسخ‌های شما پردازش نشد. لطفاً بعداً دوباره تلاش کنید.",
        "open_survey": "بازگشت به پرسشنامه",
        "err_required": "لطفاً به این پرسش پاسخ دهید.",
        "err_incomplete": "لطفاً این قسمت را هم پاسخ دهید.",
        "err_not_a_number": "لطفاً یک عدد وارد کنید.",
        "err_out_of_range": "لطفاً یک عدد صحیح از {min} تا {max} انتخاب کنید.",
        "err_points_sum": "جمع امتیازها باید {total} باشد؛ اکنون {given} است.",
        "err_adequate_above_desired": "پایین‌ترین سطحی که می‌پذیرید ({adequate}) بالاتر از "
        "سطحی است که دوست دارید ({desired}). لطفاً هر دو را بررسی کنید، یا اگر منظورتان "
        "همین است، گزینه‌ی زیر را علامت بزنید.",
        "err_too_long": "لطفاً پاسخ را کوتاه‌تر از {max} نویسه بنویسید (اکنون {given} نویسه است).",
        "err_bad_character": "این پاسخ در جایگاه {position} یک نویسهٔ کنترلی ({character}) دارد. "
        "لطفاً آن را حذف کنید؛ حروف، ارقام، نشانه‌های نگارشی، تب و خط جدید مجازند.",
        "err_too_many": "فرم بیش از تعداد پرسش‌های این پرسشنامه پاسخ فرستاده است.",
    },
}

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def digits(value: object, lang: str) -> str:
    """A number written with the digits of ``lang`` (Persian digits in Persian)."""
    text = str(value)
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def text(lang: str, key: str, **params: object) -> str:
    """A form text in ``lang`` with numbers in that language's digits."""
    template = TEXTS.get(lang, TEXTS["en"]).get(key) or TEXTS["en"][key]
    return template.format(**{k: digits(v, lang) for k, v in params.items()})


def direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def choose_language(
    available: Sequence[str],
    *,
    requested: str | None = None,
    invited: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The page language: asked for in the URL, else the invitation's, else the
    browser's most preferred one the survey has, else the survey's first language."""
    usable = [lang for lang in available if lang in TEXTS] or ["en"]
    for choice in (requested, invited):
        if choice in usable:
            return choice
    preferences: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in usable and quality > 0:
            preferences.append((-quality, n, primary))
    return min(preferences)[2] if preferences else usable[0]
