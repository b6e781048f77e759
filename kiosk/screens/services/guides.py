"""The how-to guides the office-hours page shows (党费, 组织关系转接, 刷脸签到, 入党申请), in Chinese
and English: content, kept apart from the screen that lays it out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guide:
    key: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str


GUIDES: tuple[Guide, ...] = (
    Guide(
        "dues", "如何缴纳党费", "How to pay Party dues",
        "1. 计算：在职党员以每月工资收入（税后）为基数，按比例交纳；离退休党员以每月离退休费为基数；"
        "学生、无固定收入的党员每月交纳0.2元。可在本机“党费计算”中算出您每月应交的金额。\n\n"
        "2. 按月交纳：党员应主动按月向所在党支部（党小组）交纳党费。遇到特殊情况，经党支部同意，"
        "可以按季度交纳，也可以预交，预交时间一般不超过一年。\n\n"
        "3. 交纳方式：交给党支部（党小组）的党费收缴人员，或使用本单位党组织指定的线上缴费渠道。"
        "请保存好缴费记录。本终端只提供计算，不收取任何费用。\n\n"
        "4. 党员自愿多交党费不限。党章规定，党员没有正当理由，连续六个月不交纳党费，就被认为是自行脱党。"
        "有疑问请联系所在支部的组织委员。",
        "Dues are a share of after-tax monthly pay (retirees: of the pension); students and members without a "
        "fixed income pay 0.20 yuan a month. Use the calculator on this kiosk to see your amount.\n\n"
        "Pay every month to your branch or Party group. In special cases, and with the branch's consent, you may "
        "pay by the quarter or in advance, usually for no more than a year. Pay the branch's dues collector or "
        "use the online channel your Party organisation names, and keep the receipt. This kiosk only calculates; "
        "it takes no payment. Failing to pay for six months in a row without good reason counts as leaving "
        "the Party. Ask your branch's organisation officer if in doubt.",
    ),
    Guide(
        "transfer", "如何转接组织关系", "How to transfer your Party membership",
        "1. 申请：因工作调动、升学、退休等需要转出时，向所在党支部提出申请，说明转入的单位或地方。\n\n"
        "2. 开具介绍信：党支部核实后，由有权限的党委开具《中国共产党党员组织关系介绍信》，"
        "或在全国党员管理信息系统中网上办理。介绍信上注明党费交到的年月。\n\n"
        "3. 报到：持介绍信（或收到网上转接通知后）在有效期内（一般不超过三个月）到接收党组织报到，"
        "编入党支部，按时参加组织生活。\n\n"
        "4. 转入本单位的党员，请携带介绍信到党委办公室办理，并联系所在支部书记。",
        "Ask your branch when you move (new job, study, retirement) and say where you are going. After checking, "
        "the Party committee issues a membership transfer letter, or makes the transfer online in the national "
        "Party member information system; the letter states the month up to which dues are paid.\n\n"
        "Report to the receiving Party organisation within the letter's validity (usually no more than three "
        "months) so that you join a branch and keep taking part in Party life. Members transferring to us: bring "
        "the letter to the Party committee office and contact your branch secretary.",
    ),
    Guide(
        "face", "如何使用刷脸签到", "How to sign in with your face",
        "1. 会议开始前30分钟起即可签到。在首页进入签到页面，确认屏幕上显示的是您要参加的会议。\n\n"
        "2. 站在屏幕正前方约半米到一米处，面向摄像头，摘下帽子和口罩，稍等片刻。\n\n"
        "3. 识别成功后屏幕显示您的姓名，确认后即完成签到，结果立即保存。\n\n"
        "4. 未能识别时，可改用数字键输入党员编号和个人PIN码签到。\n\n"
        "5. 人脸信息须经本人同意才采集，加密保存，仅用于签到；如需删除，请联系党委办公室。",
        "Sign-in opens 30 minutes before a meeting starts. Open sign-in from the home screen and check that "
        "the meeting shown is yours. Stand half a metre to a metre in front of the screen, face the camera, take "
        "off hat and mask, and wait a moment. When your name appears, confirm: the sign-in is saved at once.\n\n"
        "If you are not recognised, sign in with your member number and PIN on the keypad. Face data is taken "
        "only with your consent, stored encrypted and used only for sign-in; ask the Party committee office to "
        "delete it at any time.",
    ),
    Guide(
        "apply", "如何递交入党申请书", "How to apply to join the Party",
        "1. 条件：年满十八岁，承认党的纲领和章程，愿意参加党的一个组织并在其中积极工作、"
        "执行党的决议和按期交纳党费。\n\n"
        "2. 递交：向工作、学习所在单位的党组织提出入党申请；没有工作、学习单位或单位未建立党组织的，"
        "向居住地党组织提出。入党申请书应写明对党的认识、入党动机和本人履历等。\n\n"
        "3. 谈话：党组织收到入党申请书后，在一个月内派人同申请人谈话，了解基本情况。\n\n"
        "4. 此后需经过入党积极分子培养、发展对象考察、预备党员考察等程序，详情请咨询所在支部。",
        "Anyone aged 18 or over who accepts the Party's programme and Constitution and is willing to work in one "
        "of its organisations, carry out its decisions and pay dues may apply. Hand your written application to "
        "the Party organisation where you work or study; if there is none, to the one where you live.\n\n"
        "Within a month of receiving it, the Party organisation sends someone to talk with you. Training as an "
        "activist, review as a candidate and a probationary period follow; your branch will explain each step.",
    ),
)
