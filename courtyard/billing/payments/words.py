"""An amount in Chinese capital numerals (大写金额), as receipts and bank slips write it:
1234.56 → 壹仟贰佰叁拾肆元伍角陆分, 1005.00 → 壹仟零伍元整, 100.07 → 壹佰元零柒分."""

from ..pricing import to_money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")
SECTIONS = ("", "万", "亿", "万亿")


def _section(number):
    """One group of four digits (1–9999), without its leading zeros."""
    words, zero = "", False
    for place, digit in zip(PLACES, f"{number:04d}", strict=True):
        if digit == "0":
            zero = bool(words)
            continue
        if zero:
            words += DIGITS[0]
            zero = False
        words += DIGITS[int(digit)] + place
    return words


def _integer(number):
    """Whole yuan in words; a zero between non-zero groups (or inside one) is said once."""
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    words, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(words)
            continue
        if words and (gap or group < 1000):
            words += DIGITS[0]
        words += _section(group) + SECTIONS[index]
        gap = False
    return words


def amount_in_words(amount):
    """The amount, rounded to cents, in capital numerals (整 when there are no cents)."""
    amount = to_money(amount)
    if amount < 0:
        return "负" + amount_in_words(-amount)
    yuan, cents = divmod(int(amount * 100), 100)
    jiao, fen = divmod(cents, 10)
    words = _integer(yuan) + "元" if yuan else ""
    if not cents:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += DIGITS[0]
    if fen:
        words += DIGITS[fen] + "分"
    return words
