"""Load a demo data set modelled on a district's international community center.

    python manage.py demo_data [--password SECRET]

Idempotent: the organization slug marks the data set as loaded. A second run creates no
events, venues or categories; it only adds demo accounts or memberships that have gone
missing, and it never changes the password of an account that already exists.

Dates are relative to today in Asia/Shanghai, so the demo stays current: the upcoming events
fall within the next one to six weeks, one event lies in the past and one is still a draft.
Each venue has its own weekdays for recurring courses, so no two events ever compete for a
room, whatever day of the week the command runs.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.board import load_board
from demo.showcase import Showcase, demo_urls, load_showcase, quiet_demo_mail
from demo.voices import load_voices
from events import ticketing
from events.models import Event, Question, Session, TicketType
from events.recurrence import localize
from events.services import event_create, event_publish, session_create, sessions_generate
from organizations.models import Category, Membership, Organization, Venue
from registrations.models import Registration
from registrations.services import registration_create

ORG_SLUG = "chaoyang-international"
ORG_TIMEZONE = "Asia/Shanghai"
DEFAULT_PASSWORD = "huiguan-demo"

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    is_staff: bool


# (name, email, language, nationality answer, Mandarin level answer)
RESIDENTS = (
    ("Emma Schulz", "emma.schulz@example.de", "en", "de", "pinyin"),
    ("田中 由紀", "yuki.tanaka@example.jp", "ja", "jp", "never"),
    ("James O'Brien", "james.obrien@example.co.uk", "en", "gb", "never"),
    ("김민준", "minjun.kim@example.kr", "en", "kr", "hsk2"),
    ("Sofia Rossi", "sofia.rossi@example.it", "en", "other", "pinyin"),
    ("佐藤 浩", "hiroshi.sato@example.jp", "ja", "jp", "pinyin"),
    ("Anna Kowalska", "anna.kowalska@example.pl", "en", "other", "never"),
    ("Lucas Martin", "lucas.martin@example.fr", "en", "fr", "hsk2"),
    ("Olga Ivanova", "olga.ivanova@example.ru", "zh-hans", "ru", "hsk2"),
    ("Daniel Cohen", "daniel.cohen@example.com", "en", "us", "never"),
    ("山本 さくら", "sakura.yamamoto@example.jp", "ja", "jp", "never"),
    ("Priya Sharma", "priya.sharma@example.in", "en", "other", "pinyin"),
    ("Mateo García", "mateo.garcia@example.es", "en", "other", "never"),
    ("Chloé Dubois", "chloe.dubois@example.fr", "en", "fr", "pinyin"),
    ("Noah Williams", "noah.williams@example.com", "en", "us", "never"),
    ("李 娜", "li.na@example.cn", "zh-hans", "cn", "hsk2"),
    ("鈴木 健", "ken.suzuki@example.jp", "ja", "jp", "hsk2"),
    ("Hannah Becker", "hannah.becker@example.de", "en", "de", "never"),
    ("Ethan Brown", "ethan.brown@example.com", "en", "us", "pinyin"),
    ("Isabella Costa", "isabella.costa@example.br", "en", "other", "never"),
)

USERS = (
    DemoUser("organizer", "Mei", "Li", Membership.Role.OWNER, True),
    DemoUser("manager", "Yui", "Tanaka", Membership.Role.MANAGER, True),
    DemoUser("volunteer", "Anna", "Schmidt", Membership.Role.VOLUNTEER, False),
)

ORGANIZATION = {
    "name": {
        "en": "Chaoyang International Community Center",
        "zh-hans": "朝阳国际社区中心",
        "ja": "朝陽国際コミュニティセンター",
    },
    "contact_email": "hello@chaoyang-international.example.org",
    "default_language": "en",
    "timezone": ORG_TIMEZONE,
}

VENUES = {
    "hall": {
        "name": {"en": "Main Hall", "zh-hans": "多功能大厅", "ja": "メインホール"},
        "address": {
            "en": "Community Center, 2F, 5 Maizidian Street, Chaoyang District, Beijing",
            "zh-hans": "北京市朝阳区麦子店街5号 社区中心二层",
            "ja": "北京市朝陽区麦子店街5号 コミュニティセンター2階",
        },
        "latitude": Decimal("39.947620"),
        "longitude": Decimal("116.466050"),
        "accessibility_notes": {
            "en": "Step-free entrance from the street and a lift to the second floor. An accessible toilet is "
            "next to the hall, and a hearing loop is available on request.",
            "zh-hans": "临街入口无台阶，可乘电梯到二层。大厅旁设有无障碍卫生间，可应要求提供助听环路。",
            "ja": "通りから段差なしで入れ、2階まではエレベーターをご利用いただけます。ホールの隣に多目的トイレがあり、"
            "ご希望に応じてヒアリングループもご用意します。",
        },
    },
    "tea": {
        "name": {"en": "Tea Room", "zh-hans": "茶室", "ja": "茶室"},
        "address": {
            "en": "Courtyard 3, 8 Xindong Road, Chaoyang District, Beijing",
            "zh-hans": "北京市朝阳区新东路8号院3号",
            "ja": "北京市朝陽区新東路8号院3号",
        },
        "latitude": Decimal("39.943870"),
        "longitude": Decimal("116.452930"),
        "accessibility_notes": {
            "en": "A traditional courtyard house with a 10 cm threshold at the door. We have a portable ramp: "
            "please tell us in advance. Seating is on low stools at tea tables; chairs on request.",
            "zh-hans": "传统四合院，门口有约10厘米的门槛。备有便携坡道，请提前告知。座位为茶桌旁的矮凳，"
            "可按需提供椅子。",
            "ja": "伝統的な四合院で、入口に約10cmの敷居があります。移動式スロープがありますので、"
            "事前にお知らせください。座席は茶卓の低い腰掛けで、ご希望があれば椅子もご用意します。",
        },
    },
}

CATEGORIES = {
    "culture": {"en": "Culture", "zh-hans": "文化", "ja": "文化"},
    "course": {"en": "Courses", "zh-hans": "课程", "ja": "講座"},
    "language": {"en": "Language", "zh-hans": "语言", "ja": "語学"},
    "festival": {"en": "Festivals", "zh-hans": "节庆", "ja": "お祭り・行事"},
    "public-service": {"en": "Public services", "zh-hans": "公共服务", "ja": "行政サービス"},
}


def _choice(value: str, en: str, zh: str, ja: str) -> dict:
    return {"value": value, "label": {"en": en, "zh-hans": zh, "ja": ja}}


NATIONALITY = {
    "key": "nationality",
    "kind": Question.Kind.CHOICE,
    "label": {"en": "Where are you from?", "zh-hans": "您来自哪里？", "ja": "ご出身はどちらですか？"},
    "required": True,
    "show_at_checkin": False,
    "choices": [
        _choice("cn", "China", "中国", "中国"),
        _choice("jp", "Japan", "日本", "日本"),
        _choice("kr", "South Korea", "韩国", "韓国"),
        _choice("us", "United States", "美国", "アメリカ"),
        _choice("gb", "United Kingdom", "英国", "イギリス"),
        _choice("de", "Germany", "德国", "ドイツ"),
        _choice("fr", "France", "法国", "フランス"),
        _choice("ru", "Russia", "俄罗斯", "ロシア"),
        _choice("other", "Somewhere else", "其他国家或地区", "その他の国・地域"),
    ],
}

WHEELCHAIR = {
    "key": "wheelchair_seat",
    "kind": Question.Kind.CHECKBOX,
    "label": {
        "en": "I need a wheelchair-accessible seat",
        "zh-hans": "我需要轮椅无障碍座位",
        "ja": "車いす対応の席が必要です",
    },
    "show_at_checkin": True,
}

DIETARY = {
    "key": "dietary_needs",
    "kind": Question.Kind.TEXT,
    "label": {
        "en": "Dietary needs or allergies",
        "zh-hans": "饮食禁忌或过敏情况",
        "ja": "食事制限・アレルギー",
    },
    "show_at_checkin": True,
}

MANDARIN_LEVEL = {
    "key": "mandarin_level",
    "kind": Question.Kind.CHOICE,
    "label": {
        "en": "Have you studied Mandarin before?",
        "zh-hans": "您以前学过中文吗？",
        "ja": "中国語を学んだことはありますか？",
    },
    "required": True,
    "choices": [
        _choice("never", "Never", "从未学过", "まったくありません"),
        _choice("pinyin", "A little: I know pinyin", "学过一点，会拼音", "少しだけ（ピンインはわかります）"),
        _choice("hsk2", "Yes, about HSK 1–2", "学过，大约HSK一至二级", "はい、HSK1〜2級程度です"),
    ],
}

QUESTION_IN_ADVANCE = {
    "key": "question_in_advance",
    "kind": Question.Kind.TEXT,
    "label": {
        "en": "Your question for the officers (optional)",
        "zh-hans": "想向工作人员提出的问题（选填）",
        "ja": "職員への質問（任意）",
    },
}


class Calendar:
    """Naive wall-clock times in the organization's zone, counted in weeks from next Monday.

    Week 1 starts next Monday (one to seven days ahead); week -1 is the week before this one.
    """

    def __init__(self, today: dt.date):
        self.monday = today + dt.timedelta(days=7 - today.weekday())

    def at(self, week: int, weekday: int, hour: int, minute: int = 0) -> dt.datetime:
        day = self.monday + dt.timedelta(weeks=week - 1, days=weekday)
        return dt.datetime.combine(day, dt.time(hour, minute))


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    category: str
    venue: str | None
    title: dict
    summary: dict
    description: dict
    spoken_languages: list[str]
    capacity: int
    first_start: dt.datetime  # naive, local to ORG_TIMEZONE
    duration: dt.timedelta
    kind: str = Event.Kind.EVENT
    rule: str = ""  # an RRULE makes a series through sessions_generate (a new event: nobody to notify)
    price: Decimal = Decimal("0")
    questions: tuple[dict, ...] = field(default_factory=tuple)
    publish: bool = True
    # "Confirm your email to keep the seat" (set after the demo residents are registered, so they stay confirmed).
    email_confirm_minutes: int = 0
    open_holds_per_domain: int = 0


# Ticket types and codes beyond each event's one Standard type (tickets).
DEMO_TICKETS = {
    "chaoyang-dumpling-making-evening": {
        "types": [
            {
                "name": {"en": "Student", "zh-hans": "学生票", "ja": "学生"},
                "price": Decimal("80"),
                "door_note": {
                    "en": "Bring your student card",
                    "zh-hans": "请携带学生证",
                    "ja": "学生証をお持ちください",
                },
            },
        ],
        "codes": [{"code": "DEMO10", "discount": "percent", "value": Decimal("10")}],
    },
}


def demo_events(cal: Calendar) -> list[DemoEvent]:
    """The events, in the order they are created.

    Room plan, so that nothing overlaps whatever the weekday today: the Main Hall has the
    calligraphy course on Tuesdays and one-off events on Wednesday, Friday and Saturday; the
    Tea Room has Mandarin on Mondays and Thursdays and one-off events on the weekend.
    """
    hours = dt.timedelta(hours=1)
    return [
        DemoEvent(
            slug="chaoyang-tea-ceremony-workshop",
            category="culture",
            venue="tea",
            title={
                "en": "Chinese Tea Ceremony Workshop",
                "zh-hans": "中国茶艺体验工作坊",
                "ja": "中国茶芸ワークショップ",
            },
            summary={
                "en": "Learn to brew oolong and pu'er the gongfu way with a certified tea master.",
                "zh-hans": "跟随认证茶艺师，学习用功夫茶的方法冲泡乌龙茶和普洱茶。",
                "ja": "認定茶芸師と一緒に、工夫茶の作法で烏龍茶とプーアル茶を淹れてみましょう。",
            },
            description={
                "en": "In two relaxed hours you will learn to warm the pot, rinse the leaves and time each infusion, "
                "and taste how one tea changes from the first cup to the seventh. We brew a Tieguanyin oolong and an "
                "aged pu'er, and talk about how tea is served at home and at business dinners in China. The fee of "
                "80 yuan covers the tea, snacks and a small sample to take home. Places are limited to twelve so "
                "that everyone gets a seat at the tea table.",
                "zh-hans": "在轻松的两个小时里，你将学习温壶、洗茶和掌握每一泡的时间，"
                "体会同一款茶从第一杯到第七杯的变化。我们会冲泡铁观音和陈年普洱，"
                "并聊聊在中国的家庭和商务宴请中如何奉茶。费用80元，包含茶叶、茶点和一小份可带回家的茶样。名额限12人，"
                "保证每人都能坐在茶桌旁。",
                "ja": "ゆったりとした2時間で、茶壺の温め方、洗茶、一煎ごとの時間の計り方を学び、"
                "同じお茶が一煎目から七煎目までどう変わるかを味わいます。鉄観音と熟成プーアル茶を淹れながら、"
                "中国の家庭や会食でのお茶の出し方についてもお話しします。参加費80元には茶葉、お茶菓子、"
                "お持ち帰り用の茶葉サンプルが含まれます。全員が茶卓を囲めるよう、定員は12名です。",
            },
            spoken_languages=["zh-hans", "en"],
            capacity=12,
            price=Decimal("80"),
            first_start=cal.at(1, SAT, 14),
            duration=2 * hours,
            questions=(WHEELCHAIR,),
        ),
        DemoEvent(
            slug="chaoyang-calligraphy-course",
            kind=Event.Kind.COURSE,
            category="course",
            venue="hall",
            title={
                "en": "Chinese Calligraphy for Beginners (8 weeks)",
                "zh-hans": "零基础书法课（8周）",
                "ja": "はじめての書道講座（全8回）",
            },
            summary={
                "en": "Eight Tuesday evenings with brush, ink and rice paper, from the first stroke to your own name.",
                "zh-hans": "八个周二晚上，与毛笔、墨和宣纸相伴，从第一笔写到自己的名字。",
                "ja": "8回の火曜の夜、筆と墨と画仙紙で、最初の一画から自分の名前を書けるようになるまで。",
            },
            description={
                "en": "Teacher Wang Lin has taught calligraphy in Chaoyang for twenty years. Each lesson starts with "
                "posture and how to hold the brush, practises one group of basic strokes in regular script, and ends "
                "with a character you can take home. In the last lesson everyone writes a short couplet. Brushes, "
                "ink, felt mats and paper are provided and included in the fee. No Chinese is needed: the teacher "
                "explains in Chinese and a volunteer interprets into English.",
                "zh-hans": "王林老师在朝阳教授书法已有二十年。每节课先练习坐姿和执笔，再学习一组楷书基本笔画，"
                "最后写一个可以带回家的字。最后一课每人写一副短对联。现场提供毛笔、墨汁、毛毡和宣纸，"
                "费用已包含全部材料。无需中文基础：老师用中文讲解，志愿者现场翻译成英文。",
                "ja": "王林先生は朝陽区で20年にわたり書道を教えてきました。毎回、姿勢と筆の持ち方から始め、"
                "楷書の基本点画を一つずつ練習し、最後に持ち帰れる一文字を書きます。"
                "最終回には全員で短い対聯を書きます。筆・墨・下敷き・紙はこちらでご用意し、受講料に含まれています。"
                "中国語ができなくても大丈夫です。先生の中国語の説明をボランティアが英語に通訳します。",
            },
            spoken_languages=["zh-hans", "en"],
            capacity=16,
            price=Decimal("240"),
            rule="FREQ=WEEKLY;BYDAY=TU;COUNT=8",
            first_start=cal.at(1, TUE, 19),
            duration=2 * hours,
            questions=(NATIONALITY,),
        ),
        DemoEvent(
            slug="chaoyang-mandarin-for-beginners",
            kind=Event.Kind.COURSE,
            category="language",
            venue="tea",
            title={
                "en": "Mandarin for Beginners: Everyday Chinese",
                "zh-hans": "初级汉语：日常生活中文",
                "ja": "初級中国語：暮らしの中国語",
            },
            summary={
                "en": "Twelve lessons of practical Mandarin for shopping, taxis, the doctor and your neighbours.",
                "zh-hans": "十二节实用汉语课：购物、打车、看病和邻里交流。",
                "ja": "買い物、タクシー、病院、ご近所づきあいに役立つ実用中国語を全12回で。",
            },
            description={
                "en": "This course is for residents who have just arrived or have never had a formal lesson. We start "
                "with pinyin and the four tones, then practise the phrases you need every day: ordering food, giving "
                "a taxi driver directions, paying with your phone and describing symptoms at a clinic. Classes are "
                "small and taught by qualified volunteer teachers. Thanks to support from the district government "
                "the course is free; please try to come to every lesson.",
                "zh-hans": "本课程面向刚到北京或从未系统学过中文的居民。我们从拼音和四声开始，"
                "然后练习每天都用得上的表达：点菜、给出租车司机指路、用手机付款，以及在诊所描述症状。小班教学，"
                "由有资质的志愿者老师授课。在区政府的支持下，本课程免费，请尽量每节课都参加。",
                "ja": "北京に来たばかりの方や、中国語を体系的に学んだことのない方のための講座です。"
                "ピンインと四声から始め、料理の注文、タクシーでの道案内、スマートフォンでの支払い、"
                "診療所での症状の伝え方など、毎日使う表現を練習します。少人数制で、"
                "資格を持つボランティア講師が担当します。区政府の支援により受講料は無料です。"
                "できるだけ毎回ご出席ください。",
            },
            spoken_languages=["zh-hans", "en"],
            capacity=20,
            rule="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=12",
            first_start=cal.at(1, MON, 18, 30),
            duration=dt.timedelta(minutes=90),
            questions=(NATIONALITY, MANDARIN_LEVEL),
        ),
        DemoEvent(
            slug="chaoyang-residence-permit-qa",
            category="public-service",
            venue="hall",
            title={
                "en": "Residence Permits: Q&A with the Foreign Affairs Office",
                "zh-hans": "居留许可政策问答会（区外事办）",
                "ja": "居留許可Q&A：区外事弁公室との相談会",
            },
            summary={
                "en": "Officers from the district foreign affairs office explain work and residence permits and "
                "answer your questions.",
                "zh-hans": "区外事办工作人员讲解工作和居留许可政策，并现场解答问题。",
                "ja": "区外事弁公室の職員が就労・居留許可について説明し、皆さんの質問にお答えします。",
            },
            description={
                "en": "Renewing a residence permit, changing employers, bringing family members or registering a new "
                "address: the rules change often and the details matter. Two officers from the Chaoyang District "
                "foreign affairs office give a short overview of the current regulations and then take questions "
                "from the floor in Chinese and English. You can send a question in advance when you register. This "
                "is general information, not a review of individual cases, so please do not bring original documents.",
                "zh-hans": "续签居留许可、更换工作单位、为家属办理手续、登记新住址：相关规定经常调整，细节也很重要。"
                "两位朝阳区外事办工作人员将简要介绍现行政策，随后用中文和英文现场答疑。报名时可以提前提交问题。"
                "本活动只提供一般性信息，不办理个人案件，请勿携带证件原件。",
                "ja": "居留許可の更新、転職、家族の呼び寄せ、新しい住所の登録など、規定はよく変わり、"
                "細かな点が大切です。朝陽区外事弁公室の職員2名が現行の規定を簡単に説明した後、"
                "会場からの質問に中国語と英語でお答えします。申し込みの際に質問を事前に送ることもできます。"
                "一般的な情報提供の場で、個別の案件は扱いませんので、書類の原本はお持ちにならないでください。",
            },
            spoken_languages=["en", "zh-hans"],
            capacity=60,
            first_start=cal.at(2, WED, 19),
            duration=dt.timedelta(minutes=90),
            questions=(NATIONALITY, QUESTION_IN_ADVANCE, WHEELCHAIR),
        ),
        DemoEvent(
            slug="chaoyang-dumpling-making-evening",
            category="culture",
            venue="hall",
            title={"en": "Dumpling-Making Evening", "zh-hans": "包饺子之夜", "ja": "餃子づくりの夕べ"},
            summary={
                "en": "Roll, fill and fold jiaozi with a local family, then sit down together to eat them.",
                "zh-hans": "和本地家庭一起擀皮、调馅、包饺子，然后围坐在一起品尝。",
                "ja": "地元のご家族と一緒に皮をのばし、具を包んで餃子を作り、みんなで食卓を囲みます。",
            },
            description={
                "en": "Jiaozi are at the heart of every northern Chinese family celebration. Aunt Zhao and her family "
                "show you how to make the dough from scratch, roll thin wrappers and fold three kinds of dumplings. "
                "The fillings are pork and cabbage, lamb and carrot, and egg with chives, so there is a vegetarian "
                "choice. The fee of 120 yuan covers all ingredients, dinner and a printed recipe card. Please tell us "
                "about allergies or dietary needs when you register.",
                "zh-hans": "饺子是北方家庭团聚时不可缺少的美食。赵阿姨一家会教大家从和面开始，擀出薄薄的饺子皮，"
                "并包出三种不同的饺子。馅料有猪肉白菜、羊肉胡萝卜和韭菜鸡蛋，素食者也有选择。费用120元，包含全部食材、"
                "晚餐和一张印刷版食谱卡。如有过敏或饮食禁忌，请在报名时告诉我们。",
                "ja": "餃子は中国北方の家庭のお祝いに欠かせない料理です。趙さんご一家が、"
                "生地づくりから薄い皮ののばし方、3種類の包み方までお教えします。具は豚肉と白菜、羊肉とにんじん、"
                "ニラと卵の3種類で、ベジタリアンの方も楽しめます。参加費120元には全食材、夕食、"
                "印刷したレシピカードが含まれます。アレルギーや食事制限がある方は、申し込みの際にお知らせください。",
            },
            spoken_languages=["zh-hans", "en", "ja"],
            capacity=24,
            price=Decimal("120"),
            first_start=cal.at(2, FRI, 18, 30),
            duration=dt.timedelta(hours=2, minutes=30),
            questions=(DIETARY,),
        ),
        DemoEvent(
            slug="chaoyang-mid-autumn-lantern-evening",
            category="festival",
            venue="hall",
            title={"en": "Mid-Autumn Lantern Evening", "zh-hans": "中秋灯会之夜", "ja": "中秋節ランタンの夕べ"},
            summary={
                "en": "Make a paper lantern, taste mooncakes and hear the story of Chang'e with your neighbours.",
                "zh-hans": "和邻居们一起做纸灯笼、品尝月饼、听嫦娥奔月的故事。",
                "ja": "ご近所の皆さんと紙ランタンを作り、月餅を味わい、嫦娥の物語を聞きましょう。",
            },
            description={
                "en": "The Mid-Autumn Festival is the night of the full moon and of family reunions. Our volunteers "
                "show you how to fold and paint a traditional paper lantern, and a storyteller tells the legend of "
                "Chang'e, who flew to the moon. Tea and mooncakes with lotus-seed, red-bean and five-nut fillings are "
                "on the house. Children are very welcome; at 20:30 we light the lanterns together in the courtyard.",
                "zh-hans": "中秋节是月圆人团圆的日子。志愿者会教大家折叠、彩绘传统纸灯笼，"
                "讲故事的老师会讲述嫦娥奔月的传说。现场免费提供茶水和莲蓉、豆沙、五仁口味的月饼。欢迎带孩子参加；"
                "20:30大家一起在院子里点亮灯笼。",
                "ja": "中秋節は満月の夜、家族が集う日です。"
                "ボランティアが伝統的な紙ランタンの折り方と絵付けをお教えし、"
                "語り手が月へ飛んだ嫦娥の伝説をお話しします。お茶と、"
                "蓮の実餡・小豆餡・五仁（ナッツ）の月餅を無料でご用意しています。お子さま連れも大歓迎です。"
                "20時30分に中庭でみんなでランタンを灯します。",
            },
            spoken_languages=["zh-hans", "en", "ja"],
            capacity=120,
            first_start=cal.at(3, SAT, 18, 30),
            duration=dt.timedelta(hours=2, minutes=30),
            questions=(WHEELCHAIR,),
            # The biggest free event, the one worth squatting: seats are held 30 minutes until the
            # emailed link is opened, at most 20 on hold per email domain.
            email_confirm_minutes=30,
            open_holds_per_domain=20,
        ),
        DemoEvent(
            slug="chaoyang-language-exchange-cafe",
            category="language",
            venue="tea",
            title={
                "en": "Language Exchange Café",
                "zh-hans": "语言交换咖啡角",
                "ja": "ランゲージ・エクスチェンジ・カフェ",
            },
            summary={
                "en": "Practise Chinese, English and Japanese over coffee with neighbours from around the world.",
                "zh-hans": "一边喝咖啡，一边和来自世界各地的邻居练习中文、英语和日语。",
                "ja": "コーヒーを片手に、世界各国のご近所さんと中国語・英語・日本語を練習しましょう。",
            },
            description={
                "en": "Tables are grouped by language and swap every thirty minutes, so you spend half the time "
                "speaking the language you are learning and half helping others with yours. Conversation cards with "
                "simple topics help if you are shy. Coffee and tea are free, and every level is welcome.",
                "zh-hans": "桌子按语言分组，每三十分钟轮换一次：一半时间说你正在学的语言，"
                "一半时间帮助别人练习你的母语。如果有点害羞，可以借助印有简单话题的对话卡。咖啡和茶免费，"
                "欢迎各种水平的朋友参加。",
                "ja": "テーブルは言語ごとに分かれ、30分ごとに入れ替わります。半分の時間は学んでいる言語を話し、"
                "残りの半分はあなたの言語で相手の練習を手伝います。話すのが苦手な方には、"
                "簡単な話題を書いた会話カードがあります。コーヒーとお茶は無料、レベルは問いません。",
            },
            spoken_languages=["zh-hans", "en", "ja"],
            capacity=30,
            # In the past, so "past events" filters and reports have something to show.
            first_start=cal.at(-1, SUN, 15),
            duration=2 * hours,
            questions=(NATIONALITY,),
        ),
        DemoEvent(
            slug="chaoyang-double-ninth-autumn-hike",
            category="festival",
            venue=None,  # meets at the community center, then goes by bus
            title={
                "en": "Double Ninth Autumn Hike in the Fragrant Hills",
                "zh-hans": "重阳节香山登高",
                "ja": "重陽節の香山ハイキング",
            },
            summary={
                "en": "Climb the Fragrant Hills for the Double Ninth Festival, when the maple leaves turn red.",
                "zh-hans": "重阳佳节，结伴登香山，赏红叶。",
                "ja": "重陽節に、紅葉に色づく香山を一緒に登りましょう。",
            },
            description={
                "en": "Climbing a hill on the ninth day of the ninth lunar month is an old custom for good health. We "
                "leave the community center by chartered bus at 8:00, walk up Incense Burner Peak at an easy pace and "
                "have a picnic lunch at the top. The fee of 60 yuan covers the bus and the park entrance. Wear good "
                "shoes and bring water; the route has many steps and is not suitable for wheelchairs.",
                "zh-hans": "农历九月初九登高是祈求健康的传统习俗。早上8点从社区中心乘包车出发，"
                "以轻松的节奏登上香炉峰，并在山顶野餐。费用60元，包含包车和公园门票。请穿合适的鞋并自带饮用水；"
                "路线台阶较多，不适合轮椅通行。",
                "ja": "旧暦9月9日に高い所へ登るのは、健康を願う古くからの習わしです。"
                "朝8時にコミュニティセンターから貸切バスで出発し、ゆっくりしたペースで香炉峰に登り、"
                "山頂でピクニックランチをとります。参加費60元にはバス代と公園の入場料が含まれます。"
                "歩きやすい靴でお越しになり、飲み物をご持参ください。階段が多いため、"
                "車いすでのご参加は難しいルートです。",
            },
            spoken_languages=["zh-hans", "en"],
            capacity=40,
            price=Decimal("60"),
            first_start=cal.at(5, SUN, 8),
            duration=dt.timedelta(hours=7),
            publish=False,  # still being planned: a draft for the organizer's list
        ),
    ]


class Command(BaseCommand):
    help = "Load the demo data set (Chaoyang International Community Center). Safe to run more than once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password for demo accounts this run creates (default: {DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password: str, **options):
        # The demo residents' addresses are made up: their confirmations go nowhere (counted, not
        # printed), and the eager tasks' log lines stay out of the way of the logins below.
        with quiet_demo_mail() as mailbox:
            organization, created, logins = self._load(password=password)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo data set for {organization}."))
        else:
            self.stdout.write(f"The demo organization “{ORG_SLUG}” already exists: nothing new was loaded.")
        self._print_summary(organization)
        if mailbox.count:
            self.stdout.write(f"  {mailbox.count:>3} emails to demo residents (not sent: the addresses are made up)")
        self._print_logins(logins, password=password)
        self._print_urls(organization)

    def _load(self, *, password: str):
        with transaction.atomic():
            organization = Organization.objects.filter(slug=ORG_SLUG).first()
            created = organization is None
            if created:
                organization = Organization.objects.create(slug=ORG_SLUG, **ORGANIZATION)
            logins = [self._ensure_user(spec, organization=organization, password=password) for spec in USERS]
            if created:
                owner, _new = logins[0]  # USERS[0] is the owner; the services check that membership
                venues, categories = self._load_content(organization=organization, owner=owner)
                # Today, the past and the pictures: every screen has something to show.
                showcase = Showcase(organization, owner, logins[2][0], venues, categories, RESIDENTS, timezone.now())
                load_showcase(showcase)
                load_board(organization=organization, owner=owner, venues=venues, now=timezone.now())  # board
                load_voices(organization=organization, owner=owner)  # residents' comments and demands
        return organization, created, logins

    def _ensure_user(self, spec: DemoUser, *, organization: Organization, password: str):
        """Create the demo account if it is missing. An existing account keeps its password."""
        user, new = get_user_model().objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@chaoyang-international.example.org",
                "is_staff": spec.is_staff,
            },
        )
        if new:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": spec.role})
        return user, new

    def _load_content(self, *, organization: Organization, owner) -> None:
        venues = {key: Venue.objects.create(organization=organization, **data) for key, data in VENUES.items()}
        categories = {}
        for slug, name in CATEGORIES.items():
            # Categories are shared by all organizations: reuse one that exists, as it is.
            categories[slug], _new = Category.objects.get_or_create(slug=slug, defaults={"name": name})

        now = timezone.now()
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(ORG_TIMEZONE))
        for spec in demo_events(Calendar(today)):
            starts_at = localize(spec.first_start, ORG_TIMEZONE)
            event = event_create(
                user=owner,
                organization=organization,
                kind=spec.kind,
                slug=spec.slug,
                default_language="en",
                title=spec.title,
                summary=spec.summary,
                description=spec.description,
                spoken_languages=spec.spoken_languages,
                category=categories[spec.category],
                venue=venues[spec.venue] if spec.venue else None,
                timezone=ORG_TIMEZONE,
                capacity=spec.capacity,
                # Open now and close when the first session starts; a past event opened three weeks before.
                registration_opens_at=now if starts_at > now else starts_at - dt.timedelta(weeks=3),
                registration_closes_at=starts_at,
                price=spec.price,
                currency="CNY",
            )
            if spec.rule:
                sessions_generate(
                    user=owner, event=event, rule=spec.rule, first_start=spec.first_start, duration=spec.duration
                )
            else:
                session_create(
                    user=owner,
                    event=event,
                    starts_at=starts_at,
                    ends_at=localize(spec.first_start + spec.duration, ORG_TIMEZONE),
                )
            for position, question in enumerate(spec.questions):
                Question.objects.create(event=event, position=position, **question)
            self._ticket_types(event=event, owner=owner)
            if spec.publish:
                event_publish(user=owner, event=event)
                if event.price > 0:
                    # Many residents pay cash; it also lets the demo take registrations without Stripe.
                    Event.objects.filter(pk=event.pk).update(allow_pay_at_door=True, max_guests=2)
                if starts_at > now:
                    self._register_people(event=event, spec=spec)
                if spec.email_confirm_minutes or spec.open_holds_per_domain:
                    Event.objects.filter(pk=event.pk).update(
                        email_confirm_minutes=spec.email_confirm_minutes,
                        open_holds_per_domain=spec.open_holds_per_domain,
                    )
        return venues, categories

    def _ticket_types(self, *, event: Event, owner) -> None:
        """The dumpling evening has two prices and a code (issue 15's demo): Standard (its price),
        Student (less, the card checked at the door), and DEMO10 for 10 % off."""
        if event.slug not in DEMO_TICKETS:
            return
        spec = DEMO_TICKETS[event.slug]
        for position, fields in enumerate(spec["types"], start=1):
            ticketing.ticket_type_save(user=owner, event=event, position=position, **fields)
        for code in spec["codes"]:
            ticketing.promo_code_save(user=owner, organization=event.organization, event=event, **code)

    def _register_people(self, *, event: Event, spec) -> None:
        """Residents from the demo list register as the site would: a full event gets a waiting list."""
        event.refresh_from_db()
        wanted = min(len(RESIDENTS), event.capacity + 2 if event.capacity <= 16 else len(RESIDENTS) // 2)
        for index, (name, email, language, country, level) in enumerate(RESIDENTS[:wanted]):
            answers = {}
            for question in spec.questions:
                if question["key"] == "nationality":
                    answers["nationality"] = country
                elif question["key"] == "mandarin_level":
                    answers["mandarin_level"] = level
                elif question["key"] == "wheelchair_seat":
                    answers["wheelchair_seat"] = index % 9 == 0
            guests = ["Mia Schulz", "Leo Schulz"] if index == 0 and event.max_guests >= 2 else []
            types = list(TicketType.objects.filter(event=event).order_by("position", "pk"))
            ticket = {}
            if len(types) > 1:  # some come as students, a few with the demo code
                ticket["ticket_type"] = types[1].pk if index % 3 == 1 else types[0].pk
                if guests:
                    guests = [
                        {"name": guests[0], "ticket_type": types[0].pk},
                        {"name": guests[1], "ticket_type": types[1].pk},
                    ]
                if index % 4 == 2:
                    ticket["code"] = DEMO_TICKETS.get(event.slug, {}).get("codes", [{}])[0].get("code")
            registration_create(
                event_id=event.pk,
                name=name,
                email=email,
                language=language,
                answers=answers,
                consents={"privacy": True},
                guests=guests,
                pay_at_door=event.price > 0,
                **ticket,
            )

    def _print_summary(self, organization: Organization) -> None:
        events = Event.objects.filter(organization=organization)
        now = timezone.now()
        lines = [
            ("venues", Venue.objects.filter(organization=organization).count()),
            ("categories", Category.objects.filter(events__organization=organization).distinct().count()),
            ("published events", events.published().count()),
            ("draft events", events.filter(status=Event.Status.DRAFT).count()),
            (
                "past events",
                events.exclude(sessions__ends_at__gte=now).filter(sessions__isnull=False).distinct().count(),
            ),
            ("sessions", Session.objects.filter(event__organization=organization).count()),
            ("registration questions", Question.objects.filter(event__organization=organization).count()),
            ("registrations", Registration.objects.filter(event__organization=organization).count()),
            (
                "on waiting lists",
                Registration.objects.filter(event__organization=organization, status="waitlisted").count(),
            ),
        ]
        for label, count in lines:
            self.stdout.write(f"  {count:>3} {label}")

    def _print_logins(self, logins: list, *, password: str) -> None:
        roles = {spec.username: spec for spec in USERS}
        self.stdout.write("\nLogins:")
        for user, new in logins:
            spec = roles[user.username]
            secret = password if new else "(existing account, password unchanged)"
            access = "admin" if user.is_staff else "no admin"
            self.stdout.write(f"  {user.username:<10} {spec.role:<9} {access:<8}  password: {secret}")

    def _print_urls(self, organization: Organization) -> None:
        self.stdout.write("\nOpen:")
        for label, url in demo_urls(organization=organization):
            self.stdout.write(f"  {label:<22} {url}")
