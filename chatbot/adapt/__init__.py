"""Adapting the model to the company's documents, on its own CPU (python -m chatbot fewshot | adapt-data | adapt).

- ``questions``: questions made from the documents' sentences (by rule, or by a teacher model);
- ``dataset``: grounded-QA records in the chat's own prompt layout, from those, from feedback and from
  an admin's QA file; the validation share held out;
- ``fewshot``: examples picked from well-rated answers;
- ``train``: a LoRA adapter trained on the records (torch, transformers, peft: `make setup-adapt`),
  stoppable and resumable;
- ``convert``: the adapter turned into the GGUF file llama.cpp loads;
- ``judge`` and ``run``: the new adapter against the current model, switched on only when better.

Nothing here is imported by the chat: the training libraries load only when a command needs them.

May import: every other room of ``chatbot`` (the engine answers, the evaluation judges), ``settings`` and
``storage``'s public names. Nothing imports it but the CLI (``chatbot/__main__.py``).
"""
