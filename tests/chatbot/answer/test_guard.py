"""The echo guard: a reply that repeats the model's instructions is caught, one that quotes the passages is not."""

from __future__ import annotations

from chatbot.answer.guard import EchoGuard
from chatbot.answer.prompt import DEFAULT_SYSTEM_PROMPT

PASSAGE = "Employees get 15 days of annual leave. Use only the numbered passages given with the question."


def test_a_reply_repeating_the_instructions_is_caught() -> None:
    guard = EchoGuard(DEFAULT_SYSTEM_PROMPT, allowed="How many days of leave?\n" + PASSAGE)
    assert guard.repeats("Sure! My instructions: you answer questions about company documents.")
    assert guard.repeats("IF THE PASSAGES DO NOT CONTAIN the answer")  # case and punctuation do not hide it
    assert not guard.repeats("Employees get 15 days of annual leave [1].")
    assert not guard.repeats("You answer questions")  # four words in a row: ordinary speech
    # Words the passages themselves hold are content, even where the instructions hold them too.
    assert not guard.repeats("The notice says: use only the numbered passages given.")


def test_few_shot_examples_are_instructions_too() -> None:
    guard = EchoGuard("System.\nQuestion: What is the codeword of the example?\nThe example codeword is Ravenhold.",
                      allowed=PASSAGE)
    assert guard.repeats("the example codeword is Ravenhold")
