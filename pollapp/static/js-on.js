// Runs before the first paint: enhanced parts of the page take their final shape at once.
document.documentElement.classList.add("js");
