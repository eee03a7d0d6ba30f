"""Subject access (issue 14): one person's export, their disputes and their outcomes, and the
plain-language explanation of why the family is on a list.

A person sees what is held about them and, for an adult, about the family's children under 18;
never another adult's records (a victim's screening answers must never reach the abuser) and
never who reported. The council of the family's district issues each one, and every one is
written to the access log.
"""
