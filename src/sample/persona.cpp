#include "sample/persona.hpp"

// Every text here is invented for knowthy. Keep note paragraphs free of '#' and links (their note
// records list no entities), and never write a literal "&amp;"-style entity (the expected text is
// the unescaped full_text, so it must round-trip).

namespace knowthy::sample::persona {
namespace {

using sv = std::string_view;

constexpr User k_users[] = {
    {"mira_okafor", "Mira Okafor"},
    {"hbjornstad", "Henrik Bjørnstad"},
    {"sato_kenji", "佐藤健二"},
    {"lucia_rios", "Lucía Ríos"},
    {"frank_doyle_eco", "Frank Doyle"},
    {"mayfly_daily", "Mayfly Daily 🪰"},
    {"bergen_trail", "Bergen Trail Crew"},
    {"callum_field", "Callum Field"},
    {"ines_carvalho", "Inês Carvalho"},
    {"riverwatch_uk", "RiverWatch UK"},
    {"rstats_tips", "R Stats Tips"},
    {"moomin_readers", "Moominvalley Readers"},
    {"ingrid_sjo", "Ingrid Sjøberg"},
    {"dr_amara", "Dr Amara Mensah"},
    {"pieter_vdb", "Pieter van den Berg"},
    {"oda_fjell", "Oda Fjellheim"},
    {"kai_weber", "Kai Weber"},
    {"nadia_h", "Nadia Haddad"},
    {"tomas_reyes", "Tomás Reyes"},
    {"yuna_park", "박유나"},
    {"li_wei_bio", "李伟"},
    {"eilidh_mac", "Eilidh MacLeod"},
    {"jonne_k", "Jonne Kallio"},
    {"svetlana_v", "Светлана Воронова"},
    {"fw_ecol_letters", "Freshwater Ecology Letters"},
    {"trainsnotplanes", "Trains Not Planes 🚆"},
    {"thursday_folk", "Thursday Folk Session"},
    {"nordnes_swim", "Nordnes Sea Swimmers"},
    {"daily_cryptic", "Daily Cryptic"},
    {"openriverdata", "Open River Data"},
    {"teapot_tom", "Tom & the Teapot"},
};

constexpr Text k_other_texts[] = {
    {"en",
     "New paper out today: long-term declines in stonefly numbers across 140 upland streams. Open access, data & code "
     "included. #freshwater"},
    {"en", "Reminder that \"no significant difference\" is not the same thing as \"no difference\"."},
    {"en", "The sleeper train was 40 minutes late and I still arrived happier than any flight has ever left me 🚆"},
    {"en", "Volunteers needed for Saturday's river clean-up! Gloves & bags provided, tea afterwards ☕"},
    {"en", "Field season packing list: waders, waders, spare waders, and the wrong size of sample jar."},
    {"en", "Hot take: every figure should show the raw data points, not only the mean and an error bar."},
    {"ja", "北海道の川で初めてカワガラスを見ました。感動しました！🐦"},
    {"no", "Det regner i Bergen. Igjen. Det er helt normalt, sier de. ☔"},
    {"en", "Our lab is hiring a PhD student to work on alpine lakes & climate. Deadline 1 March, please share widely!"},
    {"en", "If your model has 40 parameters and 35 data points, we need to talk."},
    {"pt", "O Porto ao fim da tarde tem uma luz que não existe em mais lado nenhum 🌅"},
    {"en", "Spotted a kingfisher on the canal this morning. Whole week made."},
    {"de", "Heute endlich wieder im Labor. Die Proben sind angekommen! 🧪"},
    {"en", "Today I learned that a group of otters on land is called a romp. You're welcome."},
    {"en", "Dataset of the week: 30 years of river temperature readings, all public, all tidy <3"},
    {"es", "¡Qué día tan bonito para muestrear en el río! 🌞"},
    {"en", "The knitting circle at our department has produced more jumpers than papers this term."},
    {"fi", "Kevät tulee! Jäät lähtevät joesta tällä viikolla."},
    {"en",
     "Please stop asking authors to \"just add one more site\". Sites are rivers. Rivers are far away and full of "
     "water."},
    {"ko", "오늘 현장 조사 정말 즐거웠어요! 🌿"},
    {"en", "Open data is only open if someone can actually find it, read it & reuse it without emailing you first."},
    {"zh", "今天的河流调查很顺利，谢谢大家！"},
    {"en", "Cryptic clue of the day: \"River insect briefly flies in spring\" (6). Answers below 👇"},
    {"ru", "Сегодня первый день полевого сезона. Погода отличная!"},
    {"en", "Ferry cancelled, sea too rough, stuck in Stromness with a good book. Could be worse 📚"},
    {"en",
     "A dipper walking along the bottom of a rushing stream is still the most impressive thing in European nature."},
    {"en", "Friendly reminder: back up your field notes. Then back up the backup. Then print it."},
    {"el", "Καλό μεσημέρι από το ποτάμι! 🏞️"},
    {"en", "p < 0.05 is not a personality."},
    {"en",
     "New trail race announced for September: 42 km, 2,300 m of climbing, and an aid station with waffles 🧇 "
     "#trailrunning"},
    {"hi", "आज नदी के किनारे बहुत सुंदर सुबह थी।"},
    {"en",
     "Long-term monitoring is the least glamorous and most important work in ecology, and it is chronically "
     "underfunded. Fund the boring stuff, please."},
};

constexpr Text k_reply_texts[] = {
    {"en", "ha, yes, exactly this"},
    {"en", "congratulations!! 🎉"},
    {"en", "oh no 😬 hope the samples survived"},
    {"en", "this is brilliant, thanks for sharing"},
    {"en", "completely agree"},
    {"en", "happened to me last field season too"},
    {"en", "would love to read the paper when it's out"},
    {"en", "label the jars first, then fill them. learned that the hard way"},
    {"pt", "Que maravilha! 😄"},
    {"no", "tusen takk! 🙏"},
    {"ja", "ありがとうございます！"},
    {"en", "same & it drives me up the wall"},
    {"en", "that's a < 10 minute fix if the river is low, > 3 hours if it isn't"},
    {"en", "see you there!"},
    {"en", "please write this up as a blog post"},
    {"en", "the answer is always \"it depends on the river\" 🙃"},
    {"en", "what a view 😍"},
    {"en", "I had no idea, thank you!"},
    {"en", "great talk! are the slides online anywhere?"},
    {"en", "yes!! and nobody ever budgets time for it"},
    {"en", "this made my whole day 😂"},
    {"en", "hope you feel better soon 💚"},
};

constexpr sv k_self_updates[] = {
    "Update: the samples arrived. All 96 jars, none broken!",
    "Follow-up: the fix worked. Write-up coming once I've slept.",
    "Small update on this: the paper was accepted 🎉",
    "Adding to this: the data are now public too.",
    "Update: I was wrong about this, and happy to be wrong.",
    "Update: it is still raining.",
    "Replying to myself because I forgot the best bit: the river was full of mayflies.",
    "Update: the microscope has been repaired. Sorting resumes tomorrow.",
};

constexpr sv k_quote_comments[] = {
    "This 👇",
    "So much this.",
    "Great thread.",
    "Couldn't agree more.",
    "Bookmarking this one.",
    "Interesting take, not sure I agree though.",
    "Everyone in ecology should read this.",
    "ha! 😂",
    "Yes & also: label your jars.",
    "Required reading for my students.",
    "The replies to this are gold",
};

constexpr sv k_activities[] = {
    "sorting sample jars",
    "cleaning waders",
    "writing R code",
    "marking exam scripts",
    "reading papers on stream temperature",
    "answering reviewer 2",
    "planning next season's fieldwork",
    "fixing the lab freezer inventory",
    "writing a grant report",
    "labelling photos of nymphs",
    "doing absolutely nothing",
    "tidying my desk for the first time this year",
    "drawing maps of sampling sites",
    "replying to a mountain of email",
    "calibrating the temperature loggers",
    "updating my CV",
    "reading in the park",
    "drafting a conference abstract",
};

constexpr sv k_closers[] = {"Good day.", "Onwards.", "Small wins.", "More tomorrow.", "🌿", "🐟", "✨", "🙂", "", ""};

constexpr sv k_weather_before[] = {
    "Haar rolling in over Edinburgh again 🌫️",
    "Edinburgh in August: festival crowds & sideways rain.",
    "Arthur's Seat under snow this morning ❄️",
    "Four seasons before lunch. Classic Edinburgh.",
};

constexpr sv k_weather_after[] = {
    "Day 14 of rain in Bergen ☔ the locals just call it weather.",
    "The sun came out over Fløyen and the whole city went outside at once ☀️",
    "Bergen: where umbrellas go to die.",
    "Clear skies over the fjord tonight, stars everywhere ✨",
};

constexpr sv k_takes[] = {
    "every figure should show the raw data",
    "field notes are data too",
    "most statistics problems are really sampling problems",
    "a tidy spreadsheet is an act of kindness",
    "the methods section is the most important part of a paper",
    "null results deserve to be published",
    "good lab software is boring software",
    "you should visit the site before you model it",
};

constexpr sv k_tags[] = {"#ecology", "#rstats", "#freshwater", "#fieldwork", "#openscience", "#AcademicChatter",
                         "",         ""};

constexpr sv k_link_intros[] = {
    "Good read:",           "Worth ten minutes of your time:",  "Lovely explainer:", "Saving this for later:",
    "New post on my blog:", "Someone finally wrote this down:",
};

constexpr sv k_links[] = {
    "https://adafield.net/notes/why-mayflies",
    "https://adafield.net/notes/counting-insects-in-the-rain",
    "https://github.com/adafield/mayflyr",
    "https://en.wikipedia.org/wiki/Mayfly",
    "https://en.wikipedia.org/wiki/White-throated_dipper",
    "https://www.r-project.org/",
    "https://cran.r-project.org/web/packages/lme4/index.html",
    "https://www.seat61.com/",
    "https://orgmode.org/",
    "https://www.youtube.com/watch?v=Qf9zq3B6u1M",
};

constexpr Text k_non_latin[] = {
    {"ja", "今朝はとても静かです。川の音だけが聞こえます。🌸"},
    {"ja", "カワゲラの幼虫を見つけました！今日はいい日です。"},
    {"pt", "Bom dia! Hoje há sol, e café para todos (eu fico com o chá 🍵)"},
    {"ru", "Доброе утро! Сегодня пишу статью о реках."},
    {"zh", "早上好！今天去河边采样。"},
    {"ko", "좋은 아침이에요! 오늘도 화이팅 💪"},
    {"gd", "Madainn mhath! Tha i fliuch an-diugh."},
    {"el", "Καλημέρα! Σήμερα γράφω για ποτάμια 🏞️"},
};

// Only after the move to Bergen (they name the place or the new language).
constexpr Text k_non_latin_after_move[] = {
    {"no", "God morgen fra Bergen! Sola skinner for en gangs skyld ☀️"},
    {"no", "Jeg øver på norsk hver dag. Det går sakte, men det går."},
    {"el", "Καλημέρα από τη Νορβηγία! 🇳🇴"},
    {"ar", "صباح الخير من بيرغن 🌧️"},
};

constexpr sv k_escape_heavy[] = {
    "Samples & sandwiches packed. Waders on. Let's go.",
    "Rule of thumb: if n < 5 sites, don't fit a random effect. Fight me.",
    "Tea & biscuits > any conference keynote",
    "<3 to the students who came out in the hail today",
    "Workflow: field -> spreadsheet -> R -> despair -> figure. Standard.",
    "Q&A after my seminar ran longer than the seminar 😅",
    "Mayflies & stoneflies & caddisflies, oh my",
    "Reminder: 0 < p < 1 and that is about all we can promise",
};

constexpr sv k_learned[] = {
    "caddisfly larvae build cases out of whatever is nearby",
    "R factor levels will betray you eventually",
    "a dry bag is never as dry as the label says",
    "you cannot hurry a microscope session",
    "git blame is mostly self-blame",
    "the library keeps a whole shelf of old fieldwork diaries",
};

constexpr sv k_emoji_only[] = {"🐟🐟🐟", "🌧️☔🌧️", "🪰✨", "😴", "🥾⛰️"};

constexpr sv k_emoji[] = {"🙂",        "😅",   "🌿",    "🐟",  "🌧️",
                          "☀️",      "📚",   "🧶", "🇳🇴", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
                          "👩‍🔬", "🪰"};

// Entities after non-BMP characters, so that code-point indexing (not UTF-16, not bytes) matters.
constexpr sv k_after_emoji[] = {
    "Sunrise over the water 🌅 then straight back to the microscope #fieldwork",
    "🪰🪰🪰 emergence season has started! Photos later {@mayfly_daily}",
    "Best field assistant ever 🥾🌧️ thank you {@eilidh_mac} #freshwater",
    "📊 New figures for the stonefly paper, feedback welcome: {link:https://adafield.net/notes/stonefly-figures}",
    "Lunch by the river 🥪🐟 & a dipper for company #birds",
    "👩‍🔬 Lab day. Three hundred jars to go. {@rstats_tips} my script survived! #rstats",
};

constexpr sv k_thread_sampling[] = {
    "Step one: stand in cold water and kick the gravel for exactly three minutes.",
    "Everything that lets go of the stones drifts into the net.",
    "Back in the lab we sort, identify & count under a microscope.",
    "The counts become numbers, and the numbers become a trend.",
    "And the trend tells us whether the river is getting better or worse.",
};
constexpr sv k_thread_planning[] = {
    "Everything takes three times longer in the rain.",
    "Label the jar before you fill it.",
    "Always bring one more pencil than you think you need.",
    "The best data come from the boring, repeated visits.",
};
constexpr sv k_thread_methods[] = {
    "Write it during the work, not after.",
    "Someone should be able to repeat the study from the text alone.",
    "Say what went wrong, too.",
    "Share the code. Share the data.",
};
constexpr sv k_thread_review[] = {
    "Is the question clear by the end of page one?",
    "Do the figures show the data?",
    "Are the conclusions as big as the evidence, and no bigger?",
    "Would I want to read it again?",
};
constexpr sv k_thread_workshop[] = {
    "Talk 1: removing small weirs & what came back afterwards.",
    "Talk 2: trees along the banks can keep summer water up to 3 °C cooler.",
    "Lots of discussion about councils sharing their monitoring data.",
    "Great day, terrible coffee (I'm told), excellent tea.",
};

constexpr Thread k_threads[] = {
    {"How we count insects in a river, a short thread 🧵", k_thread_sampling},
    {"Things fieldwork taught me about planning:", k_thread_planning},
    {"A few notes on writing methods sections", k_thread_methods},
    {"What I look for when I review a paper:", k_thread_review},
    {"Notes from today's river restoration workshop", k_thread_workshop},
};

constexpr sv k_note_paragraphs[] = {
    "Some thoughts after ten years of standing in rivers. The insects are the easy part. The hard part is keeping a "
    "method exactly the same for a decade: the same net, the same three minutes, the same spot by the same alder "
    "tree, even when the funding, the people and the tree itself change.",
    "Why I care so much about mayflies: they spend most of their lives as nymphs under stones, then emerge for a day "
    "or two to fly, mate and die. If they vanish from a stretch of river, something went wrong in the water long "
    "before anyone noticed. They are the smoke alarm of the stream.",
    "A quick appreciation of the people who keep long-term monitoring going. Nobody writes headlines about the 312th "
    "visit to the same stream. Without those careful, repetitive visits we would have no idea whether things are "
    "getting better or worse. Thank you, all of you 💚",
    "Moving to a new country in your thirties is humbling. You forget how to buy stamps. You mispronounce the name "
    "of your own street. Then one day the bus driver answers your Norwegian in Norwegian instead of switching to "
    "English, and it feels like winning a medal.",
    "On teaching statistics: students are not afraid of maths, they are afraid of being wrong in front of each "
    "other. The best thing I changed this year was letting them guess first & check later. Guesses are data too. "
    "Then we compare, and nobody feels stupid.",
    "Trail running taught me a lot about pacing in research. Start slower than feels right. Eat before you are "
    "hungry. The last third is mostly stubbornness. And the view from the top is better when you remember the climb.",
    "A small rant about figures: if your plot shows only bars with error bars, I cannot see your data. Show the "
    "points. Show the spread. Show the weird outlier from the site that is < 1 m deep. Readers are clever; let them "
    "look for themselves.",
    "Tonight the fjord was completely still and the mountains doubled in the water. I stood on the quay for twenty "
    "minutes doing nothing at all. Some evenings are for work, and some are for remembering why you moved somewhere "
    "this beautiful 🌄",
    "Things I have learned from maintaining a small open-source package: people are kind, bug reports are gifts, "
    "and documentation matters more than features. Also: never call a function tidy_final_v2 in a public release. "
    "It will outlive you.",
    "Field season is over and sorting season begins. Four hundred sample jars, one microscope, a playlist of fiddle "
    "tunes and a great deal of tea. It sounds grim. Honestly, it is the most peaceful part of my year.",
    "To everyone starting a PhD this autumn: keep a notebook, back up your data twice, talk to the technicians "
    "(they know everything), and take your weekends off. The work will still be there on Monday, and you will do "
    "it better.",
    "I read a paper today that made me rethink half of my last grant proposal. That used to feel like failure. Now "
    "it feels like the system working: someone did careful work, shared it openly, and I get to build on it instead "
    "of repeating it.",
    "Noen ganger er det fint å skrive litt lenger. I dag gikk jeg langs elva, hørte fossekallen synge og tenkte at "
    "dette er grunnen til at jeg flyttet hit. Regn og alt. Det er ikke alltid lett å bo i et nytt land, men det er "
    "verdt det. 🌧️",
};

// ---- planted facts -------------------------------------------------------------------------------
constexpr FactTweet k_f01[] = {
    {"", "", "en", "Kick-sampled six streams today. My job is basically counting baby mayflies and I love it 🪰"},
    {"", "", "en",
     "People ask what a freshwater ecologist does. Mostly: stand in rivers, count insects, argue with spreadsheets."},
    {"", "", "en", "@@ stoneflies are my favourite river insects, but don't tell the mayflies"},
    {"2018-01-01", "", "en",
     "Caddisfly larvae build little houses out of sand grains and I will never get over it. #freshwater"},
};
constexpr FactTweet k_f02[] = {
    {"", "", "en", "Fourth mug of Assam and it isn't even ten o'clock 🍵"},
    {"", "", "en",
     "The conference coffee queue was fifty people long. The tea urn: just me. Never been a coffee drinker, never will "
     "be."},
    {"", "", "en", "@@ I don't drink coffee at all, but I'd happily join you with a pot of tea"},
    {"", "", "en", "Packing for fieldwork: waders, GPS, three kinds of tea bags. Priorities."},
};
constexpr FactTweet k_f03[] = {
    {"2019-09-01", "2019-09-30", "en",
     "Everyone, meet Moss 🐕 a three-year-old border collie from the rescue centre. She is already herding the "
     "cushions."},
    {"2019-10-01", "", "en",
     "Moss has learned that \"field\" means river, and river means splashing. Fieldwork just got wetter."},
    {"2019-10-01", "", "en", "Moss stole a sample jar lid and ran a victory lap around the lab car park 🐕"},
    {"2021-11-01", "", "en", "Moss saw her first Norwegian snow today ❄️ and tried to herd it. #bordercollie"},
};
constexpr FactTweet k_f04[] = {
    {"", "", "en",
     "18 km of muddy hills this morning 🏃‍♀️ Trail running is just fieldwork with fewer samples. "
     "#trailrunning"},
    {"2022-05-01", "2022-06-30", "en",
     "Finished my first ultra! 56 km, 2,400 m up, one lost shoe, zero regrets. #trailrunning"},
    {"2022-07-01", "", "en", "Signed up for another ultra. Apparently the first one taught me nothing."},
    {"", "", "en", "@@ trail races over road races, always. Softer ground and better views."},
};
constexpr FactTweet k_f05[] = {
    {"", "2021-06-30", "en", "Haar over Edinburgh this morning, couldn't even see the castle from the bridge 🌫️"},
    {"2021-05-01", "2021-07-31", "en",
     "Big news: in August I'm moving from Edinburgh to Bergen to join a river research lab 🇳🇴 Edinburgh, I'll miss "
     "you."},
    {"2021-08-16", "2021-09-30", "en",
     "First weeks in Bergen: it has rained every single day and I love it anyway ☔ #Bergen"},
    {"2022-01-01", "", "en", "Still miss the Edinburgh bookshops, but Bergen's mountains are a fair trade."},
};
constexpr FactTweet k_f06[] = {
    {"2021-08-16", "", "en",
     "Norwegian class, week 3: I can now say \"Jeg heter Ada og jeg liker elver\" (I'm Ada and I like rivers)."},
    {"2021-11-01", "", "no", "Jeg snakker litt norsk nå! Det er vanskelig, men gøy 🇳🇴"},
    {"2022-03-01", "", "en",
     "My Norwegian is finally good enough to complain about the weather. Full integration achieved."},
};
constexpr FactTweet k_f07[] = {
    {"", "", "en", "If the data behind a paper aren't public, I read it as a draft. #openscience"},
    {"", "", "en", "Just uploaded eight years of our insect counts to an open repository. Go wild, everyone."},
    {"", "", "en", "@@ yes! open data should be the default, not a favour you ask for"},
};
constexpr FactTweet k_f08[] = {
    {"", "", "en", "My R script for this field season is 1,400 lines long and I understand maybe 900 of them. #rstats"},
    {"", "", "en", "Spreadsheet → R → figure. The only pipeline I trust."},
    {"", "", "en", "@@ I do everything in R, even my household budget. No regrets."},
};
constexpr FactTweet k_f09[] = {
    {"2019-04-01", "2019-05-31", "en",
     "mayflyr 0.1 is out! A tiny R package for tidying river insect survey data: "
     "{link:https://github.com/adafield/mayflyr}"},
    {"2019-06-01", "", "en", "Merged four pull requests into mayflyr this weekend. Contributors are the best people 💚"},
    {"2020-06-01", "", "en",
     "mayflyr can now read the old paper survey forms too. Years of scanned sheets, finally usable #rstats"},
};
constexpr FactTweet k_f10[] = {
    {"", "", "en", "My wee brother {@callum_field} sent a photo of orcas from the ferry deck. Jealous forever 🐋"},
    {"", "", "en",
     "Callum says the crossing to Orkney was \"a bit lively\". He means six-metre waves. He works on those ferries, "
     "he'd know."},
    {"2021-10-01", "", "en",
     "My brother Callum visited Bergen and declared the fjords \"basically Orkney with taller hills\"."},
};
constexpr FactTweet k_f11[] = {
    {"2016-01-01", "2017-10-31", "en",
     "Thesis chapter 3 is done. Two more to go before I can leave Aberdeen with a PhD 📚"},
    {"2017-11-01", "2017-12-15", "en",
     "I passed my viva! Dr Field, freshwater ecology, University of Aberdeen, class of 2017 🎓"},
    {"2019-01-01", "", "en", "Found my old Aberdeen PhD notebooks in a box. So many wet pages, so many mayflies."},
};
constexpr FactTweet k_f12[] = {
    {"", "2021-07-31", "en", "Thursday folk session at the pub: three hours of reels and my fiddle fingers are numb 🎻"},
    {"", "", "en", "Learning a new strathspey on the fiddle. The neighbours are being very patient."},
    {"2021-10-01", "", "en", "Found a folk session in Bergen! Norwegian fiddle tunes are wonderfully strange 🎻"},
};
constexpr FactTweet k_f13[] = {
    {"2019-09-01", "2019-12-31", "en",
     "Decided: no more flying. Trains and ferries from now on 🚆 Slower, but the views are better."},
    {"2020-01-01", "", "en",
     "Edinburgh to a conference in Vienna by train in a day and a half. Wrote most of a paper on the way."},
    {"2021-08-01", "2021-09-30", "en",
     "Moved to Norway the flight-free way: three days of trains via London, Hamburg and Oslo, with a very confused "
     "dog."},
};
constexpr FactTweet k_f14[] = {
    {"", "", "en", "A dipper bobbing on a rock in the middle of the rapids. Favourite bird, no contest 🐦"},
    {"2021-08-16", "", "en", "In Norwegian the dipper is \"fossekall\", the waterfall man. Best bird, best name."},
    {"", "", "en", "@@ dippers! my favourite bird in the whole world"},
};
constexpr FactTweet k_f15[] = {
    {"", "", "en", "Sea swim at 7am, water at 6°C. Screamed a bit. Felt amazing 🌊"},
    {"2021-09-01", "", "en", "Joined the Nordnes winter swimmers. Yes, the sea is cold. That's the whole point."},
    {"", "", "en", "@@ I swim in the sea every week of the year, even in January. Cheaper than therapy."},
};
constexpr FactTweet k_f16[] = {
    {"", "", "en", "Visited a friend with three cats. Sneezed for six hours. Worth it, they were lovely 🤧"},
    {"", "", "en", "Allergic to cats, which is a shame, because cats seem to adore me."},
};
constexpr FactTweet k_f17[] = {
    {"", "", "en", "Sock number two of the pair, knitted entirely during online meetings 🧶"},
    {"", "", "en", "Knitting in seminars helps me listen. Please stop asking if I'm bored."},
    {"", "", "en", "Finished a pair of wool socks in river colours: grey, green & a little brown 🧦"},
};
constexpr FactTweet k_f18[] = {
    {"", "", "en", "Coriander tastes like soap and nobody will convince me otherwise."},
    {"", "", "en", "@@ anything at all except coriander, please 🙏"},
};
constexpr FactTweet k_f19[] = {
    {"", "", "en", "Rereading The Summer Book by Tove Jansson. Every page smells of sea salt."},
    {"", "", "en", "Tove Jansson wrote about islands and solitude better than anyone. Favourite author, always."},
    {"", "", "en", "@@ start with Moominvalley in November, then read everything else Tove Jansson wrote"},
};
constexpr FactTweet k_f20[] = {
    {"2018-01-01", "", "en",
     "First lecture of my stats course today. 140 undergraduates and only one asked whether it's on the exam."},
    {"2018-01-01", "", "en",
     "Marking stats coursework: someone drew a confidence interval as a little cartoon bridge. Full marks for style."},
};
constexpr FactTweet k_f21[] = {
    {"", "", "en", "Stop reporting p = 0.049 like it's a miracle. Show me the effect size and its interval."},
    {"", "", "en", "Unpopular opinion in my department: we should ban the word \"significant\" for a year."},
};
constexpr FactTweet k_f22[] = {
    {"2016-02-29", "2016-02-29", "en",
     "It's my actual birthday! Only happens every four years, so technically I'm eight 🎂"},
    {"2020-02-29", "2020-02-29", "en", "Leap day birthday again 🎉 Cake for breakfast is the rule."},
    {"2024-02-29", "2024-02-29", "en", "Birthday number... ten? Leap-year maths is the best maths 🎂"},
};
constexpr FactTweet k_f23[] = {
    {"2017-06-01", "", "en",
     "Inês showed me her favourite building in Porto today. Architects notice everything the rest of us walk past."},
    {"2022-07-01", "2022-07-31", "en", "Inês and I got married today in Porto 💍 Small wedding, enormous cake."},
    {"2022-08-01", "", "pt", "A minha mulher diz que o meu português está a melhorar. Obrigada, Inês! ❤️"},
};
constexpr FactTweet k_f24[] = {
    {"", "", "en", "Morning routine: tea, the cryptic crossword, then email. In that order, always."},
    {"", "", "en", "Finished today's cryptic crossword before 8am. Smug for the rest of the day."},
};
constexpr FactTweet k_f25[] = {
    {"", "", "en", "River clean-up today: 14 volunteers, 38 bags of rubbish, one shopping trolley, two traffic cones."},
    {"", "", "en", "Organising a river clean-up for Saturday. Bring gloves & wellies, I'll bring the tea."},
};
constexpr FactTweet k_f26[] = {
    {"", "", "en", "The windowsill chillies are finally turning red 🌶️ Harvest of twelve!"},
    {"", "", "en", "My chilli plants survived the winter on the windowsill. Proud plant parent moment."},
};
constexpr FactTweet k_f27[] = {
    {"", "", "en", "Notebook #41 is full. Every one of them has at least one page ruined by river water."},
    {"", "", "en", "I write everything in paper field notebooks first. Batteries die, pencils don't."},
};

constexpr Fact k_facts[] = {
    {"F01", "work", "Is a freshwater ecologist who studies river insects (mayflies, stoneflies, caddisflies)", k_f01},
    {"F02", "food", "Drinks tea, never coffee", k_f02},
    {"F03", "pet", "Has a border collie named Moss, adopted from a rescue centre in September 2019", k_f03},
    {"F04", "sport", "Runs trail races; ran her first ultramarathon in 2022", k_f04},
    {"F05", "location", "Lived in Edinburgh, moved to Bergen, Norway in August 2021", k_f05},
    {"F06", "language", "Has been learning Norwegian since moving to Bergen", k_f06},
    {"F07", "values", "Believes research data should be openly published", k_f07},
    {"F08", "tools", "Does all her data analysis in R", k_f08},
    {"F09", "project", "Maintains mayflyr, an open-source R package for river insect survey data", k_f09},
    {"F10", "family", "Has a younger brother, Callum, who works on the Orkney ferries", k_f10},
    {"F11", "education", "Did her PhD in freshwater ecology at the University of Aberdeen, finishing in 2017", k_f11},
    {"F12", "hobby", "Plays the fiddle in folk sessions", k_f12},
    {"F13", "travel", "Has not flown since 2019; travels by train and ferry", k_f13},
    {"F14", "nature", "Her favourite bird is the dipper", k_f14},
    {"F15", "habit", "Swims in the sea all year round", k_f15},
    {"F16", "health", "Is allergic to cats", k_f16},
    {"F17", "hobby", "Knits, mostly socks, often during meetings", k_f17},
    {"F18", "food", "Dislikes coriander", k_f18},
    {"F19", "reading", "Her favourite author is Tove Jansson", k_f19},
    {"F20", "work", "Teaches an undergraduate statistics course", k_f20},
    {"F21", "opinion", "Thinks p-values are overused; prefers effect sizes with intervals", k_f21},
    {"F22", "personal", "Her birthday is 29 February (a leap day)", k_f22},
    {"F23", "relationship", "Married Inês, an architect from Porto, in July 2022", k_f23},
    {"F24", "habit", "Does the cryptic crossword every morning", k_f24},
    {"F25", "values", "Volunteers at and organises river clean-ups", k_f25},
    {"F26", "hobby", "Grows chilli peppers on her windowsill", k_f26},
    {"F27", "habit", "Keeps handwritten paper field notebooks (over forty filled)", k_f27},
};

}  // namespace

std::span<const User> users() { return k_users; }
std::span<const Text> other_texts() { return k_other_texts; }
std::span<const Text> reply_texts() { return k_reply_texts; }
std::span<const std::string_view> self_updates() { return k_self_updates; }
std::span<const std::string_view> quote_comments() { return k_quote_comments; }
std::span<const std::string_view> activities() { return k_activities; }
std::span<const std::string_view> closers() { return k_closers; }
std::span<const std::string_view> weather_before_move() { return k_weather_before; }
std::span<const std::string_view> weather_after_move() { return k_weather_after; }
std::span<const std::string_view> takes() { return k_takes; }
std::span<const std::string_view> tags() { return k_tags; }
std::span<const std::string_view> link_intros() { return k_link_intros; }
std::span<const std::string_view> links() { return k_links; }
std::span<const Text> non_latin() { return k_non_latin; }
std::span<const Text> non_latin_after_move() { return k_non_latin_after_move; }
std::span<const std::string_view> escape_heavy() { return k_escape_heavy; }
std::span<const std::string_view> learned() { return k_learned; }
std::span<const std::string_view> emoji_only() { return k_emoji_only; }
std::span<const std::string_view> emoji() { return k_emoji; }
std::span<const std::string_view> with_entities_after_emoji() { return k_after_emoji; }
std::span<const Thread> threads() { return k_threads; }
std::span<const std::string_view> note_paragraphs() { return k_note_paragraphs; }
std::span<const Fact> facts() { return k_facts; }

}  // namespace knowthy::sample::persona
