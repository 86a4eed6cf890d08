#!/usr/bin/env python3
"""Deterministic generator for the `automotive-queries` dataset.

Synthetic customer messages to a car dealership, labelled with the specialist who should
answer them (`specialization`) and an intent within that specialization (`intent`).

    python3 datasets/automotive-queries/generate.py

rewrites train.jsonl, holdout.jsonl and dataset.json next to this file, byte-identically on
every run (Python 3 standard library only; fixed seed; no dependence on hash randomisation).

Template syntax:
    {slot}        replaced by a value from SLOTS (one consistent draw per example)
    [a|b|c]       one of the alternatives, chosen at random (an alternative may be empty)
"""

import json
import os
import random
import re

SEED = 20240611
PER_INTENT = 200          # unique examples per intent (5 intents x 3 specializations = 3000)
HOLDOUT_PER_INTENT = 40   # 20 % of each intent goes to the holdout split
MAX_ATTEMPTS = 200000

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Slot values
# --------------------------------------------------------------------------------------------

CARS = [
    # (make, model, body)
    ("Toyota", "Camry", "sedan"), ("Toyota", "RAV4", "SUV"), ("Toyota", "Corolla", "sedan"),
    ("Toyota", "Tacoma", "truck"), ("Toyota", "Highlander", "SUV"), ("Toyota", "Sienna", "minivan"),
    ("Honda", "Civic", "sedan"), ("Honda", "CR-V", "SUV"), ("Honda", "Accord", "sedan"),
    ("Honda", "Pilot", "SUV"), ("Honda", "Odyssey", "minivan"), ("Ford", "F-150", "truck"),
    ("Ford", "Escape", "SUV"), ("Ford", "Explorer", "SUV"), ("Ford", "Mustang", "coupe"),
    ("Ford", "Bronco", "SUV"), ("Chevrolet", "Silverado", "truck"), ("Chevrolet", "Equinox", "SUV"),
    ("Chevrolet", "Malibu", "sedan"), ("Chevrolet", "Tahoe", "SUV"), ("Chevy", "Traverse", "SUV"),
    ("Nissan", "Altima", "sedan"), ("Nissan", "Rogue", "SUV"), ("Nissan", "Frontier", "truck"),
    ("Hyundai", "Tucson", "SUV"), ("Hyundai", "Elantra", "sedan"), ("Hyundai", "Santa Fe", "SUV"),
    ("Kia", "Sorento", "SUV"), ("Kia", "Telluride", "SUV"), ("Kia", "Forte", "sedan"),
    ("Subaru", "Outback", "wagon"), ("Subaru", "Forester", "SUV"), ("Subaru", "Crosstrek", "crossover"),
    ("Mazda", "CX-5", "SUV"), ("Mazda", "CX-30", "crossover"), ("Jeep", "Wrangler", "SUV"),
    ("Jeep", "Grand Cherokee", "SUV"), ("Volkswagen", "Jetta", "sedan"), ("VW", "Tiguan", "SUV"),
    ("BMW", "3 Series", "sedan"), ("BMW", "X5", "SUV"), ("Audi", "A4", "sedan"), ("Audi", "Q5", "SUV"),
    ("Tesla", "Model 3", "EV"), ("Tesla", "Model Y", "EV"), ("Ram", "1500", "truck"),
    ("GMC", "Sierra", "truck"), ("Dodge", "Charger", "sedan"), ("Lexus", "RX 350", "SUV"),
    ("Volvo", "XC90", "SUV"), ("Mercedes", "C-Class", "sedan"), ("Chrysler", "Pacifica", "minivan"),
]
BODIES = ["SUV", "sedan", "truck", "pickup", "minivan", "hatchback", "crossover", "coupe", "EV",
          "hybrid", "convertible", "wagon", "3-row SUV", "compact car", "4x4"]
TRIMS = ["LX", "EX", "EX-L", "Sport", "Limited", "XLE", "SE", "LE", "Touring", "Premium", "Platinum",
         "XLT", "Lariat", "SXT", "Trailhawk", "base", "S", "SEL", "Titanium", "GT"]
COLORS = ["red", "white", "black", "silver", "gray", "blue", "dark blue", "green", "pearl white",
          "charcoal", "burgundy", "orange"]
PARTS = ["brake pads", "front brake pads", "rear rotors", "brake rotors", "air filter",
         "cabin air filter", "oil filter", "spark plugs", "alternator", "starter", "battery",
         "headlight bulb", "headlight assembly", "tail light", "wiper blades", "serpentine belt",
         "timing belt", "water pump", "radiator", "thermostat", "fuel pump", "O2 sensor",
         "catalytic converter", "side mirror", "wheel bearing", "control arm", "front struts",
         "shocks", "CV axle", "ignition coil", "key fob", "tie rod ends", "fuel filter",
         "transmission filter", "AC compressor", "blower motor", "window regulator",
         "door handle", "grille", "front bumper cover", "sway bar links", "motor mounts",
         "drive belt tensioner", "radiator hose", "brake calipers", "TPMS sensor", "PCV valve"]
ACCESSORIES = ["a roof rack", "all-weather floor mats", "a cargo liner", "a tow hitch",
               "running boards", "a bike rack", "seat covers", "mud flaps", "a remote start kit",
               "a tonneau cover", "a phone mount", "a dash cam", "an LED light bar",
               "splash guards", "wheel locks", "a car cover", "window sunshades", "a roof box",
               "cross bars", "door edge guards", "a trailer wiring harness", "alloy wheels",
               "a cargo net", "a wireless charging pad", "puddle lights", "a bed liner",
               "a first aid kit", "chrome trim"]
SERVICES = ["oil change", "tire rotation", "brake inspection", "30,000-mile service",
            "60k service", "wheel alignment", "transmission flush", "coolant flush",
            "state inspection", "multi-point inspection", "battery test", "AC recharge",
            "tire balance", "brake job", "diagnostic", "90,000 mile service", "fluid check",
            "synthetic oil change", "annual service", "emissions test"]
NOISES = ["grinding", "squealing", "clunking", "rattling", "clicking", "knocking", "humming",
          "whining", "ticking", "thumping", "hissing", "squeaking"]
ACTIONS = ["brake", "turn the wheel", "accelerate", "go over bumps", "start it", "shift gears",
           "idle at a light", "get on the highway", "back up", "turn left"]
SYMPTOMS = ["makes a grinding noise when braking", "pulls to the left",
            "shakes at highway speed", "has the check engine light on",
            "won't start in the morning", "smells like something is burning",
            "is leaking fluid under the engine", "idles rough", "squeals when I turn the wheel",
            "blows warm air from the AC", "stalls at stop signs", "has a battery that keeps dying",
            "shifts hard between second and third", "overheats in traffic",
            "vibrates when I brake", "has a flashing traction control light",
            "loses power going uphill", "makes a clunk over bumps", "burns oil",
            "has a steering wheel that is off center"]
SYMPTOM_NOUNS = ["grinding noise", "check engine light", "oil leak", "rough idle", "vibration",
                 "coolant leak", "transmission slip", "squeak in the front end", "dead battery",
                 "warning light on the dash", "AC problem", "misfire", "power steering leak",
                 "rattle in the dashboard", "hesitation when accelerating"]
RECALL_ITEMS = ["airbag inflator", "fuel pump", "brake booster", "seat belt pretensioner",
                "rearview camera", "power steering", "ignition switch", "engine fire risk",
                "fuel line", "rear suspension", "backup camera software", "trailer hitch",
                "front seat wiring", "transmission shift cable"]
WHENS = ["tomorrow", "tomorrow morning", "this Saturday", "next Tuesday", "Friday afternoon",
         "sometime this week", "after 5pm", "on the weekend", "Monday at 8am", "today",
         "this afternoon", "Wednesday around noon", "next week", "Thursday morning",
         "on Sunday", "first thing Monday", "later today", "the 14th", "early next month"]
MONTHS = ["in March", "next month", "in two months", "this summer", "at the end of the year",
          "in January", "in 3 weeks", "in the fall", "in October", "soon"]
NAMES = ["Maria", "Dave", "J. Kim", "Priya", "Tom", "Luis", "Sarah", "Mike", "Aisha", "Chen",
         "Bob", "Karen", "Jose", "Emily", "Raj", "Olga"]
ENGINES = ["2.0L", "2.5L", "V6", "3.5L V6", "V8", "5.7L Hemi", "1.5L turbo", "hybrid",
           "2.4L", "diesel", "EcoBoost", "4-cylinder"]
RETAILERS = ["AutoZone", "RockAuto", "Amazon", "O'Reilly", "Advance Auto", "NAPA", "eBay",
             "the dealer across town"]
CREDITS = ["580", "620", "650", "700", "720", "bad", "fair", "no", "excellent", "thin"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# Things an electric car does not have; not drawn when the example's car is an EV.
ICE_ONLY = {"spark plugs", "oil filter", "timing belt", "fuel pump", "O2 sensor", "catalytic converter",
            "ignition coil", "fuel filter", "PCV valve", "serpentine belt", "transmission filter",
            "radiator", "drive belt tensioner", "thermostat", "water pump", "radiator hose",
            "oil change", "synthetic oil change", "transmission flush", "emissions test",
            "burns oil", "misfire", "idles rough", "stalls at stop signs",
            "shifts hard between second and third", "transmission slip"}
EV_ENGINES = ["Long Range", "dual motor", "Performance", "single motor"]


def money(rng, lo, hi, step):
    v = rng.randrange(lo, hi, step)
    style = rng.random()
    if style < 0.45:
        return "${:,}".format(v)
    if style < 0.75 and v >= 1000:
        return "{}k".format(v // 1000) if v % 1000 == 0 else "${:,}".format(v)
    if style < 0.9:
        return "${}".format(v)
    return "{} dollars".format(v)


def miles(rng):
    v = rng.randrange(5000, 190000, 1000)
    style = rng.random()
    if style < 0.4:
        return "{:,} miles".format(v)
    if style < 0.7:
        return "{}k miles".format(v // 1000)
    if style < 0.85:
        return "{} miles".format(v)
    return "{}k".format(v // 1000)


def draw_slots(rng):
    make, model, body = rng.choice(CARS)
    make2, model2, _ = rng.choice(CARS)
    omake, omodel, _ = rng.choice(CARS)
    year = rng.randrange(2012, 2026)
    interval = rng.choice([15, 30, 45, 60, 75, 90, 100, 120])
    ev = body == "EV"
    pick = (lambda values: rng.choice([v for v in values if v not in ICE_ONLY])) if ev else rng.choice
    part, part2 = rng.sample([p for p in PARTS if not (ev and p in ICE_ONLY)], 2)
    return {
        "make": make, "model": model, "body": rng.choice([body, body, rng.choice(BODIES)]),
        "make2": make2, "model2": model2 if model2 != model else "Corolla",
        "oldcar": rng.choice(["{} {}".format(omake, omodel), omodel]),
        "year": str(year), "oldyear": str(year - rng.randrange(3, 12)),
        "trim": rng.choice(TRIMS), "color": rng.choice(COLORS),
        "price": money(rng, 9000, 68000, 500), "budget": money(rng, 8000, 55000, 1000),
        "monthly": "$" + str(rng.randrange(199, 799, 10)) + rng.choice(["/mo", " a month", " per month", ""]),
        "down": money(rng, 1000, 12000, 500), "partprice": money(rng, 19, 900, 1),
        "mileage": miles(rng), "mileage_yr": "{:,}".format(rng.randrange(8000, 30000, 1000)),
        "interval": "{:,}".format(interval * 1000), "intervalk": str(interval),
        "warranty_miles": rng.choice(["60,000 miles", "100k", "36,000 miles", "5 years", "10 years/100,000 miles"]),
        "term": str(rng.choice([24, 36, 39, 48, 60, 72, 84])),
        "credit": rng.choice(CREDITS),
        "part": part, "part2": part2, "accessory": rng.choice(ACCESSORIES),
        "service": pick(SERVICES), "noise": rng.choice(NOISES), "action": rng.choice(ACTIONS),
        "symptom": pick(SYMPTOMS), "symptom_noun": pick(SYMPTOM_NOUNS),
        "recall_item": rng.choice(RECALL_ITEMS),
        "when": rng.choice(WHENS), "when2": rng.choice(WHENS), "month": rng.choice(MONTHS),
        "name": rng.choice(NAMES), "engine": rng.choice(EV_ENGINES if ev else ENGINES), "retailer": rng.choice(RETAILERS),
        "days": str(rng.randrange(2, 30)),
        "stock": rng.choice(["", "A", "P", "U", "N"]) + str(rng.randrange(1000, 99999)),
        "ordernum": rng.choice(["#", "", "PO-", "order #", "SO"]) + str(rng.randrange(10000, 999999)),
        "partnum": "{}{:05d}-{}{:03d}".format(rng.choice(["", "", "OE-", "GM-"]), rng.randrange(10000, 99999),
                                              rng.choice("ABCDEFGHJKLMNPRTX"), rng.randrange(0, 999)),
        "vin": "".join(rng.choice(VIN_CHARS) for _ in range(17)),
    }


# --------------------------------------------------------------------------------------------
# Templates: TEMPLATES[specialization][intent] -> list of templates
# --------------------------------------------------------------------------------------------

TEMPLATES = {
    "automotive-sales": {
        "inventory": [
            "Do you have any {color} {model}s in stock?",
            "[Do you have|Got|Are there] any certified pre-owned {body}s under {budget}?",
            "Is the {year} {make} {model} {trim} still available?",
            "I saw a {color} {year} {model} on your website, is it still on the lot?",
            "[Looking for|I want|I'm after] a used {body} with under {mileage}, what do you have?",
            "any {model} {trim} on the lot",
            "What {make} {body}s do you [currently|] have?",
            "When are the new {year} {model}s arriving?",
            "Still got that {color} {model} I saw online?",
            "I'm shopping for a family car, something like a {model}. What's in [inventory|stock]?",
            "Can you locate a {model} {trim} in {color} from another dealer?",
            "I want to buy a {body}, preferably a {make}. Anything available [now|this week]?",
            "Is stock {stock} sold yet?",
            "How many {model}s do you have with AWD?",
            "Do you have the {model} hybrid on the lot or do I need to order one?",
            "Looking for a first car for my [daughter|son], maybe a {model}, budget around {budget}",
            "what new {make}s do u have",
            "Is there a {year} {model} with low miles for sale?",
            "Do you have an electric {body} I can [buy|take home] this month?",
            "Which {body}s do you have with a third row?",
            "Is the {color} one still there? The {model} from the ad.",
            "{year} {model} {trim} available?",
            "Do you have anything like a {model} but cheaper?",
            "My {oldcar} is done for, I need something else. What {body}s are on the lot?",
            "[Hi|Hey], do you guys still sell new {make}s or just used?",
            "I'd like to see your selection of {body}s around {budget}.",
            "Can I reserve the {color} {model} before someone else buys it?",
            "Is the {model} you posted yesterday a one-owner car?",
            "Any {model2} or {model} in {color}?",
            "Does the {year} {model} on your lot have a clean Carfax?",
            "What's the mileage on the used {model} you have listed?",
            "When will my factory-ordered {model} be delivered to the dealership?",
            "Does the used {model} on your lot have new {part}?",
            "Was the used {model} serviced before you put it up for sale? Any open recalls?",
            "Is the {year} {model} you have listed still under factory warranty?",
            "Does the {model} {trim} come with {accessory} from the factory?",
            "Can I make an appointment {when} to look at the {model}s you have?",
            "Do you have a {model} with the {engine} engine, or only the base one?",
            "My mechanic says my {oldcar} is not worth fixing, so I need a {body}. What do you have?",
        ],
        "pricing-financing": [
            "What's the out-the-door price on the {year} {model} {trim}?",
            "What's the price of the {color} {model} on your lot?",
            "Can I get financing with a {credit} credit score?",
            "What APR are you offering on a new {model}?",
            "If I put {down} down, what would my monthly payment be on the {model}?",
            "Are there any rebates or incentives on the {year} {make} {model}?",
            "Is the sticker price negotiable on the {model}?",
            "Does the price of the {model} include the extended warranty?",
            "How much is the {model} {trim} after [dealer fees|taxes and fees|doc fees]?",
            "Can I get pre-approved for a car loan online?",
            "I'd pay about {price} for the {model}, can you do that?",
            "price on {model} {trim}?",
            "Do you [offer|have] 0% financing for {term} months?",
            "What would a {term}-month loan look like on a {price} car?",
            "Can you beat a quote of {price} for a {year} {model} from another dealer?",
            "How much does the extended warranty add to the monthly payment?",
            "Do you do in-house financing? My credit [isn't great|is bad|is rough]",
            "Is {price} a fair price for the {year} {model} with {mileage}?",
            "How much would the {model} cost me per month with {down} down?",
            "how much for the {color} {model}",
            "Can my wife co-sign the loan on the {model}?",
            "What's the best cash price you can do on the {model}?",
            "Is there a discount for paying cash for the {year} {model}?",
            "Are there military or college grad discounts on a new {make}?",
            "What rate would I get with {credit} credit for {term} months?",
            "Is the {price} online price the real price or are there add-ons?",
            "Do you finance first-time buyers?",
            "Can I refinance the loan on the car I bought from you?",
            "Why is the markup on the {model} so high? Any room on price?",
            "Can I get an extended warranty [rolled into|included in] the loan?",
            "{model} {trim}, what's the total price with tax?",
            "How much is the {model}?",
            "What is the price difference between the {model} {trim} and the base {model}?",
            "Does the price include {accessory} and floor mats?",
            "Is a maintenance plan included in the price of the {model}?",
            "How much is the {year} {model} with {mileage}? Has it had the {service} done?",
            "Can I add the {accessory} to the financing?",
        ],
        "test-drive": [
            "Can I test drive the {model} {when}?",
            "I'd like to schedule a test drive of the {year} {make} {model}.",
            "Is it possible to take the {color} {model} out for a drive {when}?",
            "Can you bring the {model} to my house for a test drive?",
            "Do I need an appointment to test drive a {body}?",
            "test drive {model} {when}?",
            "My [husband|wife|partner] and I want to drive the {model} and the {model2} back to back. Can we come in {when}?",
            "How long can I keep the car for an extended test drive?",
            "Want to try out the {model} {trim} before deciding, are you open {when}?",
            "Can I book a time to drive the {model}? I'm free {when}.",
            "Do you let people test drive the EVs?",
            "What do I need to bring for a test drive, just my license?",
            "I'll be in {when} to drive the {model}, please have it ready.",
            "Is the {model} available to drive today or is it on hold?",
            "Can I take the {model} on the highway during the test drive?",
            "I want to see how the {model} handles before I buy, can I drive one?",
            "can i drive the {color} one {when}",
            "Do you have a {model} {trim} I can test drive, not the base model?",
            "Could I test the {model} with my car seats in it?",
            "Is there a salesperson available {when} to go on a drive with me?",
            "I'd like to compare the {model} and {model2} on a test drive.",
            "Can I do a 24-hour test drive on the {model}?",
            "Booked a test drive for {when}, can I change it to {when2}?",
            "Is it ok if my teenager test drives the {model} with me?",
            "I drove the {model} last week, can I take it out again {when}?",
            "Can I schedule a time {when} to drive the {model}? I want to make sure the {part} feel ok.",
            "Do you have an appointment open {when} so I can drive the {model}?",
            "Can I take the {model} for a spin {when}? My {oldcar} {symptom} so I need something soon.",
            "Want to drive the {model} with {accessory} on it, do you have one set up like that?",
            "I need to see if my {accessory} fits before I buy, can I drive the {model} home for a night?",
        ],
        "trade-in": [
            "How much can I get for my {oldyear} {oldcar} as a trade-in?",
            "I want to trade in my {oldcar} with {mileage} on it.",
            "Do you take trade-ins even if I still owe money on the loan?",
            "What's my {oldyear} {oldcar} worth? It has {mileage} and {symptom_noun}.",
            "Will you buy my car outright even if I don't purchase one from you?",
            "Can I get an appraisal for my {oldcar} {when}?",
            "trade in value {oldyear} {oldcar}?",
            "KBB says my {oldcar} is worth {price}, will you match that?",
            "I'd like to trade my {oldcar} toward a new {model}.",
            "My {oldcar} has some dents and {mileage}, is it still worth trading in?",
            "Does my trade-in value go toward the down payment?",
            "Is there a trade-in bonus on the {model} this month?",
            "Would you take my old {oldcar} in exchange for a {model}? It needs new {part}.",
            "My {oldcar} {symptom}, would you still take it as a trade?",
            "How do you figure out what my old car is worth?",
            "what would you give me for a {oldyear} {oldcar}",
            "I'm upside down on my {oldcar} loan, can I still trade it?",
            "Can I trade two cars in for one {model}?",
            "Do you accept trade-ins with a salvage title?",
            "Carvana offered me {price} for my {oldcar}, can you beat it?",
            "Should I sell my {oldcar} privately or trade it in with you?",
            "Can I get a trade quote online? {oldyear} {oldcar}, {mileage}.",
            "I want to swap my {oldcar} for something bigger, like a {model}.",
            "Does the trade-in lower the sales tax on the {model}?",
            "The {oldcar} is paid off, what can you offer for it?",
            "My {oldcar} needs {part} and a {service}, how much will that knock off the trade value?",
            "Does an open recall on my {oldcar} lower what you would pay for it?",
            "How much for my {oldcar}? It still has warranty left.",
            "My {oldcar} has {accessory} and new {part}, does that add to the trade-in value?",
            "Would you take my {oldcar} as is? The check engine light is on.",
        ],
        "lease": [
            "What are your lease deals on the {model}?",
            "How much to lease a {year} {model} {trim} for {term} months?",
            "Is there a {monthly} lease special on the {model}?",
            "My lease on my {oldcar} ends {month}, what are my options?",
            "Can I lease with {mileage_yr} miles per year?",
            "What's the buyout price at the end of my lease?",
            "Lease or buy, which makes more sense for a {model}?",
            "lease {model} {monthly}?",
            "What happens when I turn in my lease, is there a fee for excess wear?",
            "What's the money factor and residual on a {model} lease?",
            "Can I get out of my lease early and into a new {model}?",
            "How much due at signing for the {model} lease?",
            "Is gap insurance included in your leases?",
            "I drive about {mileage_yr} miles a year, is leasing a {body} a bad idea?",
            "Are there any zero down lease offers on the {make} {model}?",
            "Can I transfer my lease to someone else?",
            "What's the cheapest {body} I can lease right now?",
            "My lease is over {month}, can I upgrade to the {year} {model}?",
            "I'm over my lease miles on the {oldcar}, how much will that cost?",
            "Do you lease used cars?",
            "Is the {model} lease {term} months or can I do shorter?",
            "Can I lease a {model} with {credit} credit?",
            "Is maintenance included in the {model} lease?",
            "What does it cost to buy out my {oldcar} lease?",
            "{term} month lease on the {model} {trim}, what's the payment?",
            "Does the lease on the {model} include scheduled maintenance like the {service}?",
            "If I lease the {model}, do I have to get the {service} done at your dealership?",
            "Is the {model} lease covered by the full warranty the whole time?",
            "Can I put {accessory} on a leased {model}?",
            "How much is the {model} per month, lease price?",
        ],
    },
    "service-advisor": {
        "maintenance-schedule": [
            "When is my {year} {model} due for its next oil change?",
            "What's included in the {interval}-mile service for a {model}?",
            "How often should I rotate the tires on my {model}?",
            "My {model} is at {mileage}, what maintenance is due?",
            "Do I need to change the timing belt at {interval} miles?",
            "How often should I replace the {part} on my {make}?",
            "Is synthetic oil required for the {year} {model}?",
            "The maintenance light came on in my {model}, what does it need?",
            "what service is due at {intervalk}k on a {model}",
            "Do I really need a transmission fluid change at {mileage}?",
            "What's the recommended maintenance schedule for a {year} {make} {model}?",
            "How much does the {interval}-mile service cost?",
            "Is it time for a brake fluid flush on my {model}? It's at {mileage}.",
            "How often should the coolant be flushed on a {make}?",
            "How many miles between oil changes on the {model}?",
            "My oil life says 15%, should I come in now?",
            "Is the {intervalk}k service really necessary or just an upsell?",
            "What does the wrench light mean on my {model}?",
            "When should I change the spark plugs on a {engine} {model}?",
            "Do EVs like the {model} need any regular maintenance?",
            "The sticker on my windshield says I'm overdue, {mileage} on the clock.",
            "Should I follow the severe service schedule if I tow with my {model}?",
            "how often do i need new {part}",
            "Bought a used {model} with {mileage}, what should be done first?",
            "Does the {model} need a major service at {interval}?",
            "How often should my {service} be done?",
            "How much is a {service} for a {year} {model}?",
            "Do I need to replace the {part} at {interval} miles or just inspect them?",
            "Should I buy {part} for the {intervalk}k service or do you supply them?",
            "What does the {intervalk}k service cost on a {model}, and is it covered under warranty?",
            "Does the {service} come with a free multi-point inspection?",
        ],
        "repair-diagnosis": [
            "My {model} is making a {noise} noise when I {action}.",
            "The check engine light is on in my {year} {model}, can you diagnose it?",
            "There's a {symptom_noun} on my {make} {model}. What could it be?",
            "How much to replace the {part} on a {year} {model}?",
            "My car {symptom}, can someone look at it?",
            "My {make} {symptom}. Any idea what's wrong?",
            "Car won't start, just clicks. {year} {model}.",
            "What's the diagnostic fee to figure out a {symptom_noun}?",
            "I think my {part} is going bad, the car {symptom}.",
            "Can you fix a {symptom_noun} on a {make}?",
            "my {model} {symptom} help",
            "A mechanic elsewhere said my {part} needs replacing, can you confirm?",
            "How long will it take to repair the {part} on my {model}?",
            "{noise} noise from the front when I {action}, {year} {model}",
            "My {model} {symptom} since yesterday, is it safe to drive?",
            "Got a flat and now the car pulls, could the alignment be off?",
            "The {model} {symptom} and the {symptom_noun} came on too.",
            "What would cause my {model} to {action} so roughly?",
            "Is it expensive to fix a {symptom_noun}?",
            "My car is leaking something green, what is that?",
            "Can you figure out why my battery keeps dying?",
            "Estimate for fixing {part} on my {oldcar}?",
            "Heard a loud bang and now the {model} {symptom}.",
            "There is a {noise} sound under the hood of my {make}.",
            "Someone backed into me, can you fix the {part}?",
            "Do you have the {part} in stock to fix my {model} {when}?",
            "How much is a new {part} installed? My {model} {symptom}.",
            "The shop ordered {part} for my repair, is it fixed yet?",
            "Is the {symptom_noun} on my {model} covered or do I pay?",
            "My {model} {symptom}. Price to fix?",
            "Can you install the {part} I bought online? The old one is making noise.",
        ],
        "recall": [
            "Is there a recall on my {year} {make} {model}?",
            "I got a recall notice in the mail about the {recall_item}, what do I do?",
            "Can you check my VIN {vin} for open recalls?",
            "How long does the {recall_item} recall repair take?",
            "Is the recall fix free of charge?",
            "I heard there's a safety recall on {model}s for the {recall_item}.",
            "recall {year} {model}?",
            "Do I need an appointment for the recall work?",
            "Are parts available yet for the {recall_item} recall?",
            "My {model} had the {recall_item} recall, was it already done?",
            "Will you give me a loaner while the recall repair is done?",
            "The letter says stop driving until the {recall_item} is fixed, is that serious?",
            "Is my {oldcar} affected by the airbag recall?",
            "open recalls on {vin}?",
            "Saw on the news the {make} {model} is being recalled, is mine included?",
            "Does the {recall_item} recall apply to the {year} model year?",
            "Got a notice from {make} about a campaign on my {model}, what is it?",
            "Can you do the {recall_item} recall and a {service} at the same visit?",
            "Why is the {recall_item} recall still not fixed, I've been waiting months.",
            "I paid for a repair that later became a recall, can I get reimbursed?",
            "Is it safe to drive my {model} with an open recall?",
            "bought a used {model}, how do i know if the recalls were done",
            "NHTSA says there's a recall on the {recall_item}, do you have the fix?",
            "Do I have to go to the dealer I bought from for the recall?",
            "Are the {recall_item} parts in stock for the recall on my {model}?",
            "How much does the recall cost? Is the part free?",
            "Can I schedule the {recall_item} recall {when}?",
            "I bought my {model} used from you last month, does it have open recalls?",
            "My {model} {symptom}, is that related to the {recall_item} recall?",
        ],
        "warranty": [
            "Is my {part} covered under warranty? {year} {model}, {mileage}.",
            "My powertrain warranty ends at {warranty_miles}, is the transmission repair covered?",
            "Does the factory warranty cover a {symptom_noun}?",
            "How do I file a warranty claim for my {model}?",
            "Will getting my oil changed somewhere else void my warranty?",
            "warranty {part} {model}?",
            "Is my extended warranty honored at your service department?",
            "My car is still under warranty but the {part} failed, will you fix it for free?",
            "Is the battery on a {year} {model} covered by the EV warranty?",
            "How many miles are left on the bumper-to-bumper warranty of my {year} {model}?",
            "Is there a deductible on warranty repairs?",
            "I bought it used, does the remaining factory warranty transfer?",
            "Why was my warranty claim for the {part} denied?",
            "Does the warranty cover a rental car while mine is in the shop?",
            "The {symptom_noun} started at {mileage}, am I still under warranty?",
            "Is wear and tear like {part} covered by the warranty?",
            "My {model} {symptom}, is that a warranty repair?",
            "Will aftermarket {accessory} void my warranty?",
            "Do I need receipts for maintenance to keep the warranty valid?",
            "Is the CPO warranty on my {model} still active?",
            "under warranty? {model} {mileage}",
            "The third-party warranty company says you need to call them first, can you do that?",
            "Is the paint peeling on my {model} covered?",
            "How long is the {make} warranty on {part}?",
            "Is the {part} I bought from your parts counter under warranty? It already failed.",
            "Does buying the extended warranty from you cover the {part}?",
            "My {model} {symptom}, I bought it from you 6 months ago, is it covered?",
            "Do I need an appointment to get warranty work done on my {model}?",
            "How much is it if the {part} is not covered by warranty?",
        ],
        "appointment": [
            "Can I book a service appointment for {when}?",
            "I need to bring my {model} in for a {service} {when}.",
            "Do you have any openings {when} for a {service}?",
            "Can I drop off my car {when} and pick it up after work?",
            "How long is the wait for a {service} if I walk in?",
            "I need to reschedule my appointment from {when} to {when2}.",
            "Do you offer a shuttle or loaner while my car is serviced?",
            "{service} {when}?",
            "Is the service department open {when}?",
            "Please cancel my service appointment for {when}.",
            "Can I schedule a {service} online?",
            "What time does the service drive open {when}?",
            "Is there room {when} for my {model}? Needs a {service}.",
            "Can I wait at the dealership while you do the {service}?",
            "Need to get the {model} in {when}, what times do you have?",
            "I have an appointment {when}, can I add a {service}?",
            "Do you take walk-ins for a {service}?",
            "Can someone pick up my {model} from work for service?",
            "Running 20 minutes late for my {when} appointment.",
            "Is my {model} ready? Dropped it off {when}.",
            "book me in for {when} pls, {year} {model}",
            "How far out are you booking for service right now?",
            "Can I leave the keys in the night drop box {when}?",
            "Do you do Saturday service appointments?",
            "Want to come in {when}, is the {service} about an hour?",
            "Do you have time {when} to install {accessory} on my {model}?",
            "What is the price for a {service} and can I come in {when}?",
            "Can you put in the {part} I ordered {when}?",
            "I need an appointment for the {recall_item} recall and a {service}.",
            "I want to drop off my {model} {when}, it {symptom}.",
        ],
    },
    "parts-specialist": {
        "part-availability": [
            "Do you have {part} in stock for a {year} {make} {model}?",
            "Is part number {partnum} available?",
            "I need {part} for my {model}, do you carry them?",
            "Do you stock OEM {part} or only aftermarket?",
            "in stock? {part} {year} {model}",
            "How long to get {part} for a {make} if it's not in stock?",
            "Can I pick up {part} today for my {model}?",
            "Does your parts counter have {part} for an older {oldcar}?",
            "Looking for {part}, {year} {model} {trim}.",
            "Are {part} on backorder for {make}?",
            "Do you have two sets of {part} for a {model}? Need them {when}.",
            "Is the {recall_item} part in stock or do I have to wait?",
            "Do you have {part} for the {engine} {model}?",
            "Need {part} and {part2} for a {oldyear} {oldcar}, have them?",
            "Can you check if {part} for my {model} is at another location?",
            "got {part} for {make}?",
            "Is it a special order to get {part} for a {oldyear} {model}?",
            "Do you keep {part} for {model}s on the shelf?",
            "I'm a mechanic, do you have {part} for a {year} {model} on hand?",
            "My {part} broke, is there one available for a {model}?",
            "Can I get {part} same day for a {year} {model}?",
            "Are genuine {make} {part} available or discontinued for the {oldyear}?",
            "Hoping you have {part} for my {oldcar} in stock, it's pretty old.",
            "Which of your stores has {partnum} on hand?",
            "My mechanic says I need {part}, can I buy them from you?",
            "Do you have {part} for the {interval}-mile service on a {model}?",
            "Is {part} in stock? My {model} {symptom} and I want to fix it myself.",
            "Do you have the recall part for the {recall_item} in stock?",
            "Do you have {part} in stock and can someone install it {when}?",
        ],
        "part-price": [
            "How much are {part} for a {year} {model}?",
            "What's the price on part number {partnum}?",
            "price for {part} {model}?",
            "How much do OEM {part} cost compared to aftermarket?",
            "Can you quote me {part} for my {make}? Just the part, I'll install it myself.",
            "Do you offer a discount on {part} if I buy a set?",
            "What's your price on {part}? I found it online for {partprice}.",
            "Is there a core charge on the {part}?",
            "How much for {accessory} for the {model}?",
            "Total cost for {part} and {part2} for a {year} {model}?",
            "Do you price match {retailer} on {part}?",
            "{partprice} for {part} seems high, is that right?",
            "Can I get a wholesale price on {part}? I run a shop.",
            "how much r {part} for a {oldcar}",
            "What does {partnum} cost?",
            "Price check on {part}, {year} {make} {model} please.",
            "Is the {part} cheaper if I order it instead of buying off the shelf?",
            "Do you have a price list for {make} {part}?",
            "How much is a replacement {part} for my {model}, just the part?",
            "Quote for {part}? Paying cash.",
            "Are the {part} for the {model} on sale this month?",
            "Does the price of {part} include shipping?",
            "What do OEM {part} run for a {model}?",
            "Can you tell me the cost of {part}, not installed?",
            "How much is the {part}? My car {symptom}.",
            "How much is {part} for the {model} and does it come with a warranty?",
            "What is the price of {part} for a {model}? I am doing the {service} myself.",
            "Is the price of the {part} lower if I buy it with my new {model}?",
            "How much is the {model} {part}? The mechanic quoted me {partprice}.",
        ],
        "compatibility": [
            "Will {part} from a {oldyear} {model} fit a {year} {model}?",
            "Are the {part} the same for the {model} {trim} and the base model?",
            "Is {partnum} compatible with my {year} {make} {model}?",
            "Will {accessory} fit my {model}?",
            "Can I use aftermarket {part} on my {model} without problems?",
            "Do the {model} and the {model2} use the same {part}?",
            "fits {year} {model}? {part}",
            "What size {part} does a {year} {model} take?",
            "Which {part} do I need for the {engine} engine in my {model}?",
            "Will {year} {model} wheels fit on my {oldyear} {model}?",
            "Here's my VIN {vin}, can you tell me the right {part}?",
            "Does {partnum} interchange with {partnum2}?",
            "Is the {part} for the {engine} different from the {model} hybrid?",
            "Will {part} from a {model2} work on my {model}?",
            "What wiper blade size for a {year} {model}?",
            "Do I need the {trim} specific {part} or will any {model} one work?",
            "What battery group size goes in a {year} {make} {model}?",
            "does {accessory} work on the {year} {model}",
            "Are {make} {part} interchangeable between model years?",
            "My {model} is the {engine}, which {part} is the correct one?",
            "Will a {oldyear} {model} {part} bolt onto a {year}?",
            "Is the {part} listed for the {model} also right for the {model2}?",
            "Will {accessory} for the {model2} fit on a {model}?",
            "How do I know which {part} matches my {model}?",
            "Will the {part} from the {service} kit fit my {year} {model}?",
            "If I install aftermarket {part}, will it still fit and keep my warranty?",
            "Does the new {year} {model} use the same {part} as my {oldyear}?",
            "My {model} {symptom}, which {part} do I need for it?",
            "Is {accessory} going to fit the {model} {trim} I am about to buy?",
        ],
        "order-status": [
            "What's the status of my parts order {ordernum}?",
            "Has the {part} I ordered come in yet?",
            "When will my special-order {part} arrive?",
            "I ordered {accessory} {days} days ago, any update?",
            "Tracking number for order {ordernum}?",
            "order {ordernum} status",
            "You called to say my part was in, but the counter says it isn't. Can you check?",
            "Can I cancel the {part} I ordered and get a refund?",
            "Is my backordered {part} shipping this week?",
            "The wrong {part} came with order {ordernum}, how do I return it?",
            "Did my {part} ship yet? Order {ordernum}.",
            "It's been {days} days and my {part} still isn't here.",
            "Can I change the shipping address on order {ordernum}?",
            "Is order {ordernum} ready for pickup?",
            "The {part} in my order was damaged, what now?",
            "Any ETA on the {part} for my {model}?",
            "Ordered {part} online, can I pick it up {when} instead of shipping?",
            "My order {ordernum} says delivered but I never got it.",
            "when is my {part} coming in",
            "I prepaid for {part} {days} days ago, where is it?",
            "Has {partnum} arrived from the warehouse?",
            "Could you check on the {part} you ordered for my {oldcar}?",
            "Did the {accessory} I ordered come in?",
            "Can I return {part} I ordered if I don't need it?",
            "Is the {part} for my repair in yet? The service department said it was ordered.",
            "Has the recall part for my {model} arrived?",
            "When does the {part} I ordered for the {service} come in?",
            "Has the {accessory} I ordered with my new {model} come in?",
            "Is my part in? I have an appointment {when}.",
        ],
        "accessories": [
            "Do you sell {accessory} for the {model}?",
            "I'm looking for {accessory} for my {year} {make}.",
            "What accessories are available for the {model}?",
            "Can you install {accessory} on my {model}?",
            "Do you have genuine {make} {accessory}?",
            "{accessory} for {model}?",
            "Looking for a gift for my [husband|wife|dad], he has a {model}, any accessories you'd recommend?",
            "Does the {model} come with {accessory} or is it extra?",
            "Is {accessory} for the {model} on sale?",
            "Do you carry {accessory} in {color}?",
            "Want {accessory} and {accessory2} for my {body}.",
            "Can I add {accessory} to the {model} I'm buying?",
            "What's the best {accessory} option for a {year} {model}?",
            "I need something to protect the cargo area of my {model}.",
            "Do you have {make} branded gear, like hats or keychains?",
            "Any winter accessories for the {model}, like floor mats or a snow brush?",
            "got {accessory} for {make}",
            "Can you order {accessory} for my {model} {trim}?",
            "Are there any {make} accessory packages for the {model}?",
            "I want to make my {model} look sportier, what accessories do you have?",
            "What towing accessories do you offer for the {model}?",
            "Do you sell {accessory} that fits the {year} {model}?",
            "Is there {accessory} that doesn't need drilling?",
            "Can I get {accessory} installed when I come in for my {service}?",
            "How much is {accessory} for the {model}, installed?",
            "Can I get {accessory} added to the {model} before I pick it up from the sales lot?",
            "Does adding {accessory} void the warranty on my {model}?",
            "Do you have {accessory} in stock for a {year} {model}?",
            "Looking for {accessory}, my {model} doesn't have one.",
        ],
    },
}

# Sentences that can be attached to any message: greetings, chit-chat unrelated to the request,
# context about the car that does not say which specialist is needed, sign-offs.
# Under-specified messages: real inboxes have them, and nothing in the text says which specialist
# should answer. A small share of every intent is drawn from this shared list (VAGUE_RATE), so the
# label of these examples cannot be predicted from the text.
VAGUE_RATE = 0.06
VAGUE = [
    "Question about my {year} {model}.", "Can someone call me about my {model}?",
    "Need help with my {make}.", "{year} {make} {model} {trim}", "Is anyone available to talk {when}?",
    "I was in {when} and talked to someone, can you follow up?", "Who do I talk to about my {model}?",
    "Please have someone contact me, it's about the {model}.", "Following up on my email from last week.",
    "Hi, it's {name} again, any news?", "Can you text me about the {color} {model}?",
    "What are your hours {when}?", "Is {name} working {when}?", "Need info on a {year} {model}.",
    "Do you work on {make}s?", "{model} question", "I have a {oldcar}, can you help?",
    "Got a minute to talk about my car?", "Call me back about the {make} please.",
    "Where are you located? Coming from downtown {when}.",
]

GREETINGS = ["Hi,", "Hello!", "Hey", "Good morning,", "Good afternoon.", "Hi there,", "Hey guys,",
             "Hello, ", "Hi team,", "Yo", "Greetings,", "Hi, hope you're well."]
CHITCHAT = [
    "Hope you're having a good day!", "Sorry if this is a dumb question.",
    "Long time customer here.", "Weather's been crazy lately, huh.", "I found you on Google.",
    "My neighbor recommended you guys.", "lol", "Quick question.", "I'm new in town.",
    "Go Bills!", "Writing this on my lunch break.", "My dog is in the car with me, haha.",
    "Your website is kind of confusing.", "I tried calling but no one picked up.",
    "Sorry for the long message.", "Hope the weekend was good.", "My kids are driving me nuts today.",
    "I've been to your dealership before.", "Traffic on the highway was awful this morning.",
    "Just moved here from Ohio.", "Happy Friday!", "Not sure who to ask about this.",
    "My brother-in-law says you're the best in town.", "I've had a long week.",
]
CAR_CONTEXT = [
    "I have a {year} {make} {model}.", "It's a {year} {model} {trim}.", "I drive a {color} {model}.",
    "My car is a {oldyear} {oldcar} with {mileage}.", "We've got a {model} and love it.",
    "The car is a {make}, {year}.", "About {mileage} on it.", "It's my wife's {model}.",
    "I commute about 40 miles a day.", "We bought a {model} from you a few years ago.",
]
SIGNOFFS = ["Thanks!", "Thanks in advance.", "Appreciate it.", "Cheers", "- {name}", "Thank you, {name}",
            "Please call me back.", "Text me back please.", "thx", "Thanks so much!",
            "Let me know.", "Email is best.", "ty"]

ALT_RE = re.compile(r"\[([^\[\]]*)\]")
WORD_RE = re.compile(r"[A-Za-z]{4,}")
AN_RE = re.compile(r"\b([Aa]) (?=(?!one\b|one-)[AEIOaeio]|O2\b|X5\b|RX\b)")


def expand(template, rng, slots):
    text = ALT_RE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    text = text.format(**slots)
    text = AN_RE.sub(lambda m: m.group(1) + "n ", text)   # "a oil change" -> "an oil change"
    return re.sub(r"\s+", " ", text).strip()


def typo(word, rng):
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:                                   # swap adjacent letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:                                   # drop a letter
        return word[:i] + word[i + 1:]
    if kind == 2:                                   # double a letter
        return word[:i] + word[i] + word[i:]
    near = {"a": "s", "e": "r", "i": "o", "o": "p", "s": "d", "t": "r", "n": "m", "r": "e", "l": "k"}
    return word[:i] + near.get(word[i].lower(), word[i]) + word[i + 1:]


def add_typos(text, rng):
    words = [(m.start(), m.end()) for m in WORD_RE.finditer(text)]
    if not words:
        return text
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        s, e = rng.choice(words)
        text = text[:s] + typo(text[s:e], rng) + text[e:]
        words = [(m.start(), m.end()) for m in WORD_RE.finditer(text)]
    return text


def render(template, rng):
    slots = draw_slots(rng)
    slots["partnum2"] = draw_slots(rng)["partnum"]
    slots["accessory2"] = rng.choice(ACCESSORIES)
    body = expand(template, rng, slots)
    parts = []
    if rng.random() < 0.25:
        parts.append(rng.choice(GREETINGS))
    if rng.random() < 0.15:
        parts.append(rng.choice(CHITCHAT))
    if rng.random() < 0.18:
        parts.append(expand(rng.choice(CAR_CONTEXT), rng, slots))
    parts.append(body)
    if rng.random() < 0.10:
        parts.append(rng.choice(CHITCHAT))
    if rng.random() < 0.22:
        parts.append(expand(rng.choice(SIGNOFFS), rng, slots))
    text = " ".join(parts)
    r = rng.random()
    if r < 0.18:
        text = text.lower()
    elif r < 0.21:
        text = text.upper()
    if rng.random() < 0.12:
        text = text.rstrip("?.!")
    if rng.random() < 0.20:
        text = add_typos(text, rng)
    if rng.random() < 0.04:
        text = text.replace(",", "").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def feature_key(text):
    """Texts that tokenise identically for the shared featurizer count as duplicates."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def generate():
    rng = random.Random(SEED)
    seen = {}
    examples = {}  # (specialization, intent) -> list of examples, in generation order
    specs = sorted(TEMPLATES)
    for spec in specs:
        for intent in sorted(TEMPLATES[spec]):
            examples[(spec, intent)] = []
    attempts = 0
    pending = sorted(examples)
    while pending:
        for key in list(pending):
            spec, intent = key
            templates = TEMPLATES[spec][intent]
            # cycle through templates so each one is used, then pick at random
            n = len(examples[key])
            if n < len(templates):
                template = templates[n]
            elif rng.random() < VAGUE_RATE:
                template = rng.choice(VAGUE)
            else:
                template = rng.choice(templates)
            text = render(template, rng)
            attempts += 1
            fk = feature_key(text)
            if not fk or fk in seen:
                continue
            seen[fk] = key
            examples[key].append({"text": text, "specialization": spec, "intent": intent})
            if len(examples[key]) >= PER_INTENT:
                pending.remove(key)
        if attempts > MAX_ATTEMPTS:
            raise SystemExit("generator could not find enough unique examples")

    train, holdout = [], []
    for key in sorted(examples):
        items = list(examples[key])
        rng.shuffle(items)
        holdout.extend(items[:HOLDOUT_PER_INTENT])
        train.extend(items[HOLDOUT_PER_INTENT:])
    rng.shuffle(train)
    rng.shuffle(holdout)
    return train, holdout


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps({"text": row["text"], "specialization": row["specialization"],
                                "intent": row["intent"]}, ensure_ascii=False) + "\n")


def count_by(rows, field):
    out = {}
    for row in rows:
        out[row[field]] = out.get(row[field], 0) + 1
    return {k: out[k] for k in sorted(out)}


def main():
    train, holdout = generate()
    write_jsonl(os.path.join(HERE, "train.jsonl"), train)
    write_jsonl(os.path.join(HERE, "holdout.jsonl"), holdout)
    manifest = {
        "name": "automotive-queries",
        "version": "1.0.0",
        "description": ("Synthetic customer messages to a car dealership, labelled with the specialist "
                        "who should answer (specialization) and the intent within that specialization. "
                        "Generated from templates by generate.py."),
        "labels": {
            "specialization": sorted(TEMPLATES),
            "intent": sorted({i for s in TEMPLATES for i in TEMPLATES[s]}),
        },
        "intents": {s: sorted(TEMPLATES[s]) for s in sorted(TEMPLATES)},
        "files": {"train": "train.jsonl", "holdout": "holdout.jsonl"},
        "counts": {
            "train": len(train),
            "holdout": len(holdout),
            "bySpecialization": {"train": count_by(train, "specialization"),
                                 "holdout": count_by(holdout, "specialization")},
        },
        "generator": "generate.py",
        "seed": SEED,
    }
    with open(os.path.join(HERE, "dataset.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print("wrote {} train / {} holdout examples to {}".format(len(train), len(holdout), HERE))


if __name__ == "__main__":
    main()
