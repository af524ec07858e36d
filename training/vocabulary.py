"""The concepts the shipped target is trained to draw (`train_target --labels vocabulary`).

Two CPU cores give a concept's images hundreds of draws only if there are tens of concepts, not the dataset's 1,703
(training/README.md, stop 25: ten concepts drawn ~530 times each become recognisable in 10 minutes; 190 concepts drawn
~60 times, or 1,703 drawn ~30 times, stay blobs). So the shipped target learns these 64: the model card grid's ten
training concepts, the app's example prompts, and distinct, nameable objects from every emoji group but people (whose
skin-tone variants would take a third of the draws). Each has exactly one image in each of the three core designs (noto,
fluent, twemoji), all in the training split; the text encoder still knows every GloVe word, so other prompts get the
nearest of these concepts.
"""

VOCABULARY = (
    # the model card grid's ten training concepts (sample.MODEL_CARD_PROMPTS) and the app's examples
    "red apple", "grinning face", "dog face", "sun", "red heart", "pizza", "rocket", "snowman", "banana", "rainbow",
    "blue heart", "yellow heart", "cat face", "sun with face",
    # food
    "green apple", "strawberry", "watermelon", "lemon", "grapes", "carrot", "hamburger", "doughnut", "birthday cake",
    "tomato", "pineapple", "ice cream",
    # animals and plants
    "pig face", "frog", "penguin", "tropical fish", "butterfly", "snail", "turtle", "octopus", "unicorn", "panda",
    "sunflower", "tulip", "cactus", "four leaf clover", "mushroom",
    # sky, weather and travel
    "star", "cloud", "crescent moon", "fire", "snowflake", "umbrella", "automobile", "airplane",
    # activities and objects
    "soccer ball", "basketball", "balloon", "wrapped gift", "trophy", "Christmas tree", "jack-o-lantern",
    "light bulb", "key", "guitar", "crown", "bell",
    # faces
    "smiling face with heart-eyes", "ghost", "pile of poo",
)
