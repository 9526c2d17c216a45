#!/usr/bin/python3
"""An echo bot written for Telegram with python-telegram-bot (13.x, Debian's
python3-python-telegram-bot), pointed at msgbed's Bot API server by its
base_url and nothing else. Usage: echo_bot.py TOKEN http://HOST:PORT"""
import logging
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, Filters, MessageHandler, Updater

token, root = sys.argv[1], sys.argv[2]
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def start(update, context):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    update.message.reply_text("hello, I echo", reply_markup=keyboard)


def button(update, context):
    update.callback_query.answer(text="pong to " + update.callback_query.from_user.first_name)


def echo(update, context):
    update.message.reply_text("echo: " + update.message.text)


updater = Updater(token=token, base_url=root + "/bot", base_file_url=root + "/file/bot")
me = updater.bot.get_me()
print(f"bot @{me.username} ({me.id}) polling", flush=True)
updater.dispatcher.add_handler(CommandHandler("start", start))
updater.dispatcher.add_handler(CallbackQueryHandler(button))
updater.dispatcher.add_handler(MessageHandler(Filters.text & ~Filters.command, echo))
updater.start_polling(timeout=20)
updater.idle()
