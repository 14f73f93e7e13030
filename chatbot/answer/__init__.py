"""Making an answer from the passages: the ChatEngine (``engine``) asks ``search`` for passages, builds the
prompt (``prompt``, ``condense`` for follow-ups), streams the model's reply (``model``), and checks it —
``guard`` (an echoed prompt), ``evidence`` (the sentences that hold the answer), ``span`` (the words to
mark), ``statement`` (whether the reply or the span is stated at all, by its confidence); ``reading`` opens
a cited source in its context.

May import: ``settings``, ``storage``'s public names, ``chatbot.language``, ``chatbot.search``,
``chatbot.model``. Never ``operations`` or ``adapt``.
"""
