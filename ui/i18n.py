"""The UI's words in Korean and English."""

from __future__ import annotations

LANGUAGES = {"ko": "한국어", "en": "English"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Company documents assistant",
        "status": "Model: **{model}** · Documents indexed: **{documents}** · Nothing leaves this server.",
        "placeholder": "Ask about our policies, e.g. “How many days of annual leave do I get?”",
        "send": "Ask",
        "new_chat": "New chat",
        "examples": "Try:",
        "sources": "Sources",
        "evidence": "Evidence",
        "no_sources": "No passage in the documents matched this question.",
        "language": "Language",
        "signed_in": "Signed in as <b>{user}</b>",
        "sign_out": "Sign out",
        "login_user": "User name",
        "login_password": "Password",
        "login_submit": "Sign in",
        "login_wrong": "Wrong user name or password.",
        "login_missing": "Enter your user name and password.",
        "login_too_many": "Too many failed sign-ins. Try again in {minutes} min.",
        "login_users_broken": "Sign-in is unavailable: the server's users file is broken. Tell your administrator.",
        "queue": "⏳ The model is answering other questions first: {ahead} before yours.",
        "question_label": "Your question",
        "conversation_label": "Conversation",
        "chats": "Saved chats",
        "no_chats": "No saved chats yet: your questions and answers are kept here.",
        "rename_label": "Name of this chat",
        "rename": "Rename",
        "delete": "Delete",
        "delete_confirm": "Delete this chat? This cannot be undone.",
        "export": "Export as Markdown",
        "in_context": "Read in context",
        "download": "Download the original",
        "context_title": "{source}: the cited passage in context",
        "context_changed": "This file has changed since the answer cited it; this is its current version.",
        "context_missing": "This source is not in the index, or you may not read it.",
        "context_part": "Parts {first}–{last} of {total}",
        "earlier": "← Earlier",
        "later": "Later →",
        "back": "Back to the chat",
        "export_question": "Question",
        "export_answer": "Answer",
        "export_from": "Exported from the company documents assistant on {date}.",
        "llm_down": "The language model cannot answer right now. Try again shortly; if it persists, tell your "
                    "administrator (the server log says why).",
    },
    "ko": {
        "title": "사내 문서 도우미",
        "status": "모델: **{model}** · 색인된 문서: **{documents}**개 · 모든 데이터는 이 서버 밖으로 나가지 않습니다.",
        "placeholder": "사내 규정에 대해 물어보세요. 예: “연차 휴가는 며칠인가요?”",
        "send": "질문하기",
        "new_chat": "새 대화",
        "examples": "예시 질문:",
        "sources": "출처",
        "evidence": "근거 문장",
        "no_sources": "이 질문과 맞는 문서 내용을 찾지 못했습니다.",
        "language": "언어",
        "signed_in": "<b>{user}</b> 님으로 로그인됨",
        "sign_out": "로그아웃",
        "login_user": "사용자 이름",
        "login_password": "비밀번호",
        "login_submit": "로그인",
        "login_wrong": "사용자 이름 또는 비밀번호가 올바르지 않습니다.",
        "login_missing": "사용자 이름과 비밀번호를 입력하세요.",
        "login_too_many": "로그인 실패가 너무 많습니다. {minutes}분 후에 다시 시도하세요.",
        "login_users_broken": "로그인할 수 없습니다: 서버의 사용자 파일이 손상되었습니다. 관리자에게 알려 주세요.",
        "queue": "⏳ 모델이 다른 질문에 먼저 답하고 있습니다: 앞에 {ahead}개의 질문이 있습니다.",
        "question_label": "질문",
        "conversation_label": "대화",
        "chats": "저장된 대화",
        "no_chats": "아직 저장된 대화가 없습니다. 질문과 답변이 여기에 보관됩니다.",
        "rename_label": "이 대화의 이름",
        "rename": "이름 바꾸기",
        "delete": "삭제",
        "delete_confirm": "이 대화를 삭제할까요? 되돌릴 수 없습니다.",
        "export": "Markdown으로 내보내기",
        "in_context": "문맥에서 읽기",
        "download": "원본 파일 내려받기",
        "context_title": "{source}: 인용된 부분과 그 앞뒤",
        "context_changed": "답변이 인용한 뒤 이 파일이 바뀌었습니다. 아래는 현재 버전입니다.",
        "context_missing": "색인에 없는 출처이거나 읽을 권한이 없는 출처입니다.",
        "context_part": "전체 {total}개 부분 중 {first}–{last}",
        "earlier": "← 앞부분",
        "later": "뒷부분 →",
        "back": "대화로 돌아가기",
        "export_question": "질문",
        "export_answer": "답변",
        "export_from": "{date}에 사내 문서 도우미에서 내보냄.",
        "llm_down": "지금은 언어 모델이 답할 수 없습니다. 잠시 후 다시 시도하고, 계속되면 관리자에게 알려 주세요"
                    "(원인은 서버 로그에 있습니다).",
    },
}

# Drawn from the sample documents in documents/.
EXAMPLES: dict[str, list[str]] = {
    "en": [
        "How many days of annual leave do employees get?",
        "What is the taxi limit for late work?",
        "How long must passwords be?",
    ],
    "ko": [
        "연차 휴가는 며칠인가요?",
        "비밀번호는 몇 자 이상이어야 하나요?",
        "수습 기간은 얼마나 되나요?",
    ],
}


def browser_language(accept_language: str | None) -> str:
    """'ko' when the browser prefers Korean over English, else 'en'."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()
        if code.startswith("ko"):
            return "ko"
        if code.startswith("en"):
            return "en"
    return "en"
