"""Build ``common-passwords.txt``: passwords of 12 characters or more that people pick often.

The policy refuses shorter passwords anyway, so only long ones are listed. Nothing is
downloaded: the list is generated deterministically from the patterns that dominate published
breach corpora (keyboard walks, common words with digits or years appended, repeated characters
and sequences, doubled words), lower-cased (the check ignores case) and sorted.

Run ``python -m operations.data.make_common_passwords`` to rewrite the shipped file; a test
checks that the file matches this generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

TARGET = Path(__file__).with_name("common-passwords.txt")
MIN_LENGTH = 12  # operations.passwords.MIN_LENGTH; shorter ones are refused by length alone
MAX_LENGTH = 64

WORDS = """
password passw0rd p@ssword p@ssw0rd pass iloveyou iloveu loveyou princess sunshine football
baseball basketball soccer hockey dragon monkey letmein welcome admin administrator master
shadow superman batman spiderman trustno1 michael jennifer jessica charlie daniel thomas jordan
hunter ranger buster tigger summer winter autumn spring freedom whatever starwars computer
internet secret lovely qwerty cheese chocolate cookie pepper ginger flower butterfly angel
jesus heaven blessed mustang ferrari porsche corvette harley yamaha testing guest login user
default changeme access matrix killer hello helloworld samsung apple google facebook microsoft
linux windows oracle london paris berlin zurich newyork chicago america canada england germany
france australia mexico brazil liverpool chelsea arsenal barcelona madrid juventus manchester
united yankees cowboys steelers eagles lakers dolphins pokemon naruto minecraft fortnite
roblox nintendo playstation xbox pepsi cocacola vending coffee friends family forever mother
father sister brother babygirl princesa teamo nicole andrew joshua matthew ashley amanda
michelle robert william david richard joseph charles george anthony steven justin taylor
jasmine purple orange yellow silver golden diamond crystal phoenix falcon tiger lion wolf
bigdog dallas austin boston florida texas california security letmein1 welcome1 password1
qwerty1 abc123 iloveyou1 sunshine1 princess1 football1 monkey1 dragon1 master1 test1234
admin123 root toor changeit temp temporary company office service support manager operator
vendor machine snacks drinks money banana superstar rockstar universe galaxy
""".split()
SUFFIXES = "1 12 123 1234 12345 123456 1234567 12345678 123456789 01 007 69 ! 1! 123! @123".split()
KEYBOARD_SUFFIXES = "1 12 123 1234 12345 123456 ! 1! 123! 0 00 01 69 11".split()
YEARS = [str(year) for year in range(1990, 2031)]
ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "!@#$%^&*()"]
WALKS = [
    "1q2w3e4r5t6y7u8i9o0p",
    "1qaz2wsx3edc4rfv5tgb6yhn",
    "qazwsxedcrfvtgbyhnujm",
    "zaq12wsxcde34rfvbgt56yhn",
    "!qaz@wsx#edc$rfv",
    "qweasdzxcqweasdzxc",
    "qwertyasdfghzxcvbn",
    "1qazxsw23edcvfr4",
    "zaq1xsw2cde3vfr4",
    "poiuytrewqlkjhgfdsamnbvcxz",
    "0987654321",
    "1234qwerasdfzxcv",
    "qwer1234asdf5678",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "12345678901234567890",
    "09876543210987654321",
]
UNITS = """
1 12 123 1234 12345 123456 0 01 69 11 abc abcd abc123 qwe asd zxc qwerty asdf love lol xo ha
""".split()
PHRASES = """
correcthorsebatterystaple iloveyouforever iloveyoubaby letmeinplease opensesame
thequickbrownfox mypassword yourpassword newpassword oldpassword changemenow
passwordpassword adminadmin rootroot testtest useruser guestguest welcomewelcome
""".split()


def _keyboard() -> Iterator[str]:
    """Keyboard rows and walks, whole or cut, alone, doubled, chained or with a suffix."""
    for walk in [*ROWS, *WALKS]:
        for end in range(6, len(walk) + 1):
            cut = walk[:end]
            yield cut
            yield cut + cut
            yield cut[::-1]
            for suffix in KEYBOARD_SUFFIXES:
                yield cut + suffix
    for first in ROWS:
        for second in ROWS:
            yield first + second
            yield first[:6] + second[:6]


def _repeats() -> Iterator[str]:
    """One character or a short unit repeated to 12–16 characters."""
    for unit in [*"abcdefghijklmnopqrstuvwxyz0123456789!", *UNITS]:
        for length in range(MIN_LENGTH, 17):
            text = unit * (length // len(unit) + 1)
            yield text[:length]
            if length % len(unit) == 0:
                yield unit * (length // len(unit))


def _words() -> Iterator[str]:
    """Common words with digits, years or symbols appended or prepended, and doubled."""
    for word in WORDS:
        yield word
        yield word + word
        for suffix in [*SUFFIXES, *YEARS]:
            yield word + suffix
        for prefix in ("my", "the", "ilove"):
            yield prefix + word
            yield prefix + word + "1"
            yield prefix + word + "123"
        for other in ("123", "1234", "12345"):
            yield other + word + other
    for phrase in PHRASES:
        yield phrase
        for suffix in SUFFIXES:
            yield phrase + suffix


def generate() -> list[str]:
    """The sorted, distinct, lower-cased candidates of 12 to 64 characters."""
    candidates: Iterable[str] = (*_keyboard(), *_repeats(), *_words())
    kept = {word.lower() for word in candidates if MIN_LENGTH <= len(word) <= MAX_LENGTH}
    return sorted(kept)


def main() -> None:
    """Rewrite the shipped list."""
    words = generate()
    TARGET.write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
    print(f"{len(words)} passwords written to {TARGET}")


if __name__ == "__main__":
    main()
