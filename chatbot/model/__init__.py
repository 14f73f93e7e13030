"""Running the language model: the packaged GGUF model in this process through llama.cpp (``llm``: a pool
of instances, token counts, the LoRA adapter when one is switched on), or an OpenAI-compatible server
(``remote_llm``), behind the same streaming interface; LLMUnavailable when it cannot answer.

May import: ``settings`` and ``storage``'s public names. Knows nothing of passages or answers.
"""
